//! Capture, refund and void: allowed moves, harmless retries, refusals.

use serde_json::{Value, json};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{card_input, order_id, spawn_app};

both_backends!(
    an_authorized_payment_is_captured_then_refunded,
    an_authorized_payment_is_voided,
    invalid_transitions_are_refused_and_change_nothing,
    unknown_payments_are_not_found,
    concurrent_captures_all_see_one_capture,
    racing_capture_and_void_leave_one_winner,
);

async fn an_authorized_payment_is_captured_then_refunded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let authorized = app.given_authorized().await;
    let id = &authorized["id"];
    let captured = app.command("capturePayment", id).await.data()["capturePayment"].clone();
    assert_eq!(captured["status"], "CAPTURED");
    assert_eq!(captured["gatewayReference"], authorized["gatewayReference"]);
    assert_eq!(captured["createdAt"], authorized["createdAt"]);
    let again = app.command("capturePayment", id).await;
    assert_eq!(again.data()["capturePayment"], captured, "unchanged");

    let refunded = app.command("refundPayment", id).await.data()["refundPayment"].clone();
    assert_eq!(refunded["status"], "REFUNDED");
    let again = app.command("refundPayment", id).await;
    assert_eq!(again.data()["refundPayment"], refunded, "unchanged");
    assert_eq!(app.payment(id).await, refunded);
}

async fn an_authorized_payment_is_voided(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_authorized().await["id"].clone();
    let voided = app.command("voidPayment", &id).await.data()["voidPayment"].clone();
    assert_eq!(voided["status"], "VOIDED");
    let again = app.command("voidPayment", &id).await;
    assert_eq!(again.data()["voidPayment"], voided, "unchanged");
}

async fn invalid_transitions_are_refused_and_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let authorized = app.given_authorized().await;
    let captured = app.given_authorized().await;
    let captured =
        app.command("capturePayment", &captured["id"]).await.data()["capturePayment"].clone();
    let voided = app.given_authorized().await;
    let voided = app.command("voidPayment", &voided["id"]).await.data()["voidPayment"].clone();
    let declined = app
        .given_payment(card_input(&order_id(), 100, "4000000000000002"))
        .await;
    let failed = app
        .given_payment(card_input(&order_id(), 100, "4000000000000119"))
        .await;
    let cases: [(&Value, &str, &str); 9] = [
        (&authorized, "refundPayment", "REFUNDED"),
        (&captured, "voidPayment", "VOIDED"),
        (&voided, "capturePayment", "CAPTURED"),
        (&voided, "refundPayment", "REFUNDED"),
        (&declined, "capturePayment", "CAPTURED"),
        (&declined, "voidPayment", "VOIDED"),
        (&failed, "capturePayment", "CAPTURED"),
        (&failed, "refundPayment", "REFUNDED"),
        (&failed, "voidPayment", "VOIDED"),
    ];
    for (payment, mutation, to) in cases {
        let response = app.command(mutation, &payment["id"]).await;
        let from = payment["status"].as_str().expect("status");
        assert_eq!(
            response.error_code(),
            "INVALID_PAYMENT_STATE",
            "{mutation} {from}"
        );
        let message = response.error_message();
        assert!(message.contains(from) && message.contains(to), "{message}");
        assert_eq!(app.payment(&payment["id"]).await, *payment, "unchanged");
    }
    let response = app.command("markInvoicePaid", &authorized["id"]).await;
    assert_eq!(response.error_code(), "NOT_AN_INVOICE");
    assert_eq!(app.payment(&authorized["id"]).await, authorized);
}

async fn unknown_payments_are_not_found(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for id in [json!("0192f0c4-0000-7000-8000-000000000000"), json!("nope")] {
        for mutation in [
            "capturePayment",
            "refundPayment",
            "voidPayment",
            "markInvoicePaid",
        ] {
            let response = app.command(mutation, &id).await;
            assert_eq!(
                response.error_code(),
                "PAYMENT_NOT_FOUND",
                "{mutation} {id}"
            );
        }
        assert_eq!(app.payment(&id).await, Value::Null);
    }
}

async fn concurrent_captures_all_see_one_capture(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_authorized().await["id"].clone();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = app.client.clone();
        let id = id.clone();
        calls.spawn(async move {
            client
                .query_with(
                    "mutation($id: ID!) { capturePayment(id: $id) { status updatedAt } }",
                    json!({ "id": id }),
                )
                .await
        });
    }
    let mut results = Vec::new();
    while let Some(response) = calls.join_next().await {
        results.push(response.expect("task").data()["capturePayment"].clone());
    }
    assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
    assert_eq!(results[0]["status"], "CAPTURED");
}

async fn racing_capture_and_void_leave_one_winner(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_authorized().await["id"].clone();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..10 {
        let client = app.client.clone();
        let id = id.clone();
        let mutation = if i % 2 == 0 {
            "capturePayment"
        } else {
            "voidPayment"
        };
        calls.spawn(async move {
            let response = client
                .query_with(
                    &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}"),
                    json!({ "id": id }),
                )
                .await;
            (mutation, response)
        });
    }
    let final_status = final_status_of_race(&mut calls).await;
    assert_eq!(app.payment(&id).await["status"], final_status);
}

/// Every call either reached the final status or was refused naming it.
async fn final_status_of_race(
    calls: &mut tokio::task::JoinSet<(&'static str, subgraph_kit::testing::GraphqlResponse)>,
) -> String {
    let mut winners = Vec::new();
    let mut refusals = Vec::new();
    while let Some(joined) = calls.join_next().await {
        let (mutation, response) = joined.expect("task");
        if response.body.get("errors").is_some() {
            assert_eq!(response.error_code(), "INVALID_PAYMENT_STATE");
            refusals.push(response.error_message().to_owned());
        } else {
            let field = &response.body["data"][mutation];
            winners.push(field["status"].as_str().expect("status").to_owned());
        }
    }
    assert!(!winners.is_empty());
    assert!(winners.iter().all(|w| *w == winners[0]), "{winners:?}");
    let final_status = winners[0].clone();
    assert!(
        refusals
            .iter()
            .all(|m| m.contains(&format!("from {final_status}"))),
        "{refusals:?}"
    );
    assert_eq!(winners.len() + refusals.len(), 10);
    final_status
}
