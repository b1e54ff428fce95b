//! Paying by invoice: PENDING until the back office marks it paid.

use serde_json::Value;
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{invoice_input, order_id, spawn_app};

both_backends!(
    an_invoice_stays_pending_until_marked_paid,
    voiding_an_open_invoice_cancels_it,
);

async fn an_invoice_stays_pending_until_marked_paid(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let invoice = app.given_payment(invoice_input(&order_id(), 15000)).await;
    assert_eq!(invoice["status"], "PENDING");
    assert_eq!(invoice["gateway"], "INVOICE");
    assert_eq!(invoice["currency"], "EUR");
    assert_eq!(invoice["cardLast4"], Value::Null);
    let reference = invoice["gatewayReference"].as_str().unwrap_or_default();
    assert!(reference.starts_with("INV-"), "{invoice}");

    let id = &invoice["id"];
    let capture = app.command("capturePayment", id).await;
    assert_eq!(capture.error_code(), "INVOICE_NOT_PAID");
    assert_eq!(app.payment(id).await, invoice, "unchanged");

    let paid = app.command("markInvoicePaid", id).await.data()["markInvoicePaid"].clone();
    assert_eq!(paid["status"], "CAPTURED");
    assert_eq!(paid["gatewayReference"], reference);
    let again = app.command("markInvoicePaid", id).await;
    assert_eq!(again.data()["markInvoicePaid"], paid, "unchanged");
    let capture = app.command("capturePayment", id).await;
    assert_eq!(capture.data()["capturePayment"], paid, "already captured");

    let refunded = app.command("refundPayment", id).await;
    assert_eq!(refunded.data()["refundPayment"]["status"], "REFUNDED");
    let late = app.command("markInvoicePaid", id).await;
    assert_eq!(late.error_code(), "INVALID_PAYMENT_STATE");
}

async fn voiding_an_open_invoice_cancels_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let invoice = app.given_payment(invoice_input(&order_id(), 500)).await;
    let id = &invoice["id"];
    let voided = app.command("voidPayment", id).await.data()["voidPayment"].clone();
    assert_eq!(voided["status"], "VOIDED");
    let paid = app.command("markInvoicePaid", id).await;
    assert_eq!(paid.error_code(), "INVALID_PAYMENT_STATE");
    assert!(paid.error_message().contains("from VOIDED to CAPTURED"));
    assert_eq!(app.payment(id).await, voided, "unchanged");
}
