//! `orderStatusChanged` over WebSocket (graphql-transport-ws): a client
//! connected to any orders replica sees each change of its order as it
//! commits, whichever replica committed it, and the stream ends at a final
//! status.

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use subgraph_kit::testing::Backend;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, spawn_app};

const SUBSCRIPTION: &str = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status statusHistory { status } } }";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection with one subscription started.
async fn subscribe(app: &TestApp, query: &str, variables: Value) -> Socket {
    subscribe_at(app.addr, query, variables).await
}

async fn subscribe_at(addr: SocketAddr, query: &str, variables: Value) -> Socket {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut socket, json!({"type": "connection_init"})).await;
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message (pings answered), within 5 s.
async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] == "ping" {
                send(socket, json!({"type": "pong"})).await;
                continue;
            }
            return value;
        }
    }
}

async fn a_client_sees_each_change_until_a_final_status(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.given_pending_order().await;
    let other = app.given_pending_order().await;
    let mut socket = subscribe(&app, SUBSCRIPTION, json!({"id": id})).await;
    // Give the server a moment to start the subscription before changing anything.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Paying an invoice confirms its order (payments' event, orders' consumer).
    app.pay_invoice(&other).await; // not ours
    app.pay_invoice(&id).await;
    let first = receive(&mut socket).await;
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(first["payload"]["data"]["orderStatusChanged"]["id"], id);
    assert_eq!(
        first["payload"]["data"]["orderStatusChanged"]["status"],
        "CONFIRMED"
    );

    app.change("cancelOrder(id: $id)", &id).await.data();
    let second = receive(&mut socket).await;
    let order = &second["payload"]["data"]["orderStatusChanged"];
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(
        order["statusHistory"],
        json!([{"status": "PENDING"}, {"status": "CONFIRMED"}, {"status": "CANCELLED"}])
    );
    let end = receive(&mut socket).await;
    assert_eq!(
        end,
        json!({"id": "1", "type": "complete"}),
        "a final status ends the stream"
    );
}

async fn unknown_and_final_orders_are_errors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Execution errors arrive as a `next` with errors, then the stream ends.
    let mut socket = subscribe(&app, SUBSCRIPTION, json!({"id": "no-such-order"})).await;
    let answer = receive(&mut socket).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["payload"]["data"], Value::Null);
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"],
        "ORDER_NOT_FOUND"
    );
    assert_eq!(receive(&mut socket).await["type"], "complete");

    let id = app.given_pending_order().await;
    app.change("cancelOrder(id: $id)", &id).await.data();
    let mut socket = subscribe(&app, SUBSCRIPTION, json!({"id": id})).await;
    let answer = receive(&mut socket).await;
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "ORDER_ALREADY_FINAL",
        "{answer}"
    );
}

/// The change commits on one replica; the client is connected to another,
/// which hears of it through the broker.
async fn a_client_on_another_replica_sees_the_change(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let replica = app.start_orders_replica().await;
    let id = app.given_pending_order().await;
    let mut socket = subscribe_at(replica.addr, SUBSCRIPTION, json!({"id": id})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.change("cancelOrder(id: $id)", &id).await.data();
    let next = receive(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["orderStatusChanged"]["status"],
        "CANCELLED"
    );
    assert_eq!(receive(&mut socket).await["type"], "complete");
}

subgraph_kit::both_backends!(
    a_client_on_another_replica_sees_the_change,
    a_client_sees_each_change_until_a_final_status,
    unknown_and_final_orders_are_errors,
);
