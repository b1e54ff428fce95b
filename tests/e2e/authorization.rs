//! Who may do what, through the one endpoint: the authorization matrix of
//! our graph (anonymous, a customer, another customer, an admin) over the
//! real services, field by field; and the services' own checks, for
//! requests that do not come through the router (defence in depth).

use serde_json::{Value, json};
use subgraph_kit::testing::{GraphqlClient, GraphqlResponse};

use crate::helpers::TestSystem;

const UNAUTHORIZED: &str = "UNAUTHORIZED_FIELD_OR_TYPE";
const ADA: &str = "ada@example.com";

fn card() -> Value {
    json!({ "gateway": "TEST_CARD", "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123" } })
}

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status customerEmail payments { id } } }";

async fn place(client: &GraphqlClient, email: &str, product: &Value) -> GraphqlResponse {
    client
        .query_with(
            PLACE,
            json!({ "input": {
                "customerEmail": email,
                "items": [{ "productId": product, "quantity": 1 }],
                "payment": card(),
            } }),
        )
        .await
}

/// Each error as `[code, path]`.
fn errors(response: &GraphqlResponse) -> Vec<Value> {
    response.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| json!([e["extensions"]["code"], e["path"]]))
                .collect()
        })
        .unwrap_or_default()
}

struct Matrix {
    system: TestSystem,
    product: Value,
}

impl Matrix {
    async fn start() -> Matrix {
        let system = TestSystem::start(true).await;
        let product = system
            .anonymous_router()
            .query(r#"{ productBySku(sku: "BOOK-DUNE") { id } }"#)
            .await
            .data()["productBySku"]["id"]
            .clone();
        Matrix { system, product }
    }
    fn anonymous(&self) -> GraphqlClient {
        self.system.anonymous_router()
    }
    fn ada(&self) -> GraphqlClient {
        self.system.router_as(&self.system.system().tokens.customer)
    }
    fn bob(&self) -> GraphqlClient {
        self.system
            .router_as(&self.system.system().tokens.other_customer)
    }
    fn admin(&self) -> GraphqlClient {
        self.system.router()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_is_public_and_changing_it_needs_admin() {
    let m = Matrix::start().await;
    let catalog = "{ products(first: 2) { edges { node { sku inventory { available } } } } }";
    for client in [m.anonymous(), m.ada(), m.admin()] {
        let response = client.query(catalog).await;
        assert_eq!(
            response.data()["products"]["edges"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
    }
    let create = r#"mutation { createProduct(input: { sku: "NEW-1", name: "New", description: "", price: { amount: 100, currency: "USD" }, category: "Books" }) { sku } }"#;
    for client in [m.anonymous(), m.ada()] {
        let response = client.query(create).await;
        assert_eq!(response.body["data"], Value::Null, "{}", response.body);
        assert_eq!(
            errors(&response),
            vec![json!([UNAUTHORIZED, ["createProduct"]])]
        );
    }
    let stock =
        r#"mutation($p: ID!) { adjustStock(productId: $p, delta: 5, reason: "count") { onHand } }"#;
    let response = m.ada().query_with(stock, json!({ "p": m.product })).await;
    assert_eq!(
        errors(&response),
        vec![json!([UNAUTHORIZED, ["adjustStock"]])]
    );
    let replenishments = m.ada().query("{ replenishments { id } }").await;
    assert_eq!(
        errors(&replenishments),
        vec![json!([UNAUTHORIZED, ["replenishments"]])]
    );

    assert_eq!(
        m.admin().query(create).await.data()["createProduct"]["sku"],
        "NEW-1"
    );
    assert!(
        m.admin()
            .query_with(stock, json!({ "p": m.product }))
            .await
            .data()["adjustStock"]["onHand"]
            .is_number()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_order_for_themselves_and_see_only_their_own_orders() {
    let m = Matrix::start().await;

    // Placing an order needs a signed-in client, ordering for themselves.
    let anonymous = place(&m.anonymous(), ADA, &m.product).await;
    assert_eq!(
        errors(&anonymous),
        vec![json!([UNAUTHORIZED, ["placeOrder"]])]
    );
    let for_someone_else = place(&m.bob(), ADA, &m.product).await;
    assert_eq!(
        for_someone_else.error_code(),
        "FORBIDDEN",
        "{}",
        for_someone_else.body
    );
    let placed = place(&m.ada(), ADA, &m.product).await;
    let order = placed.data()["placeOrder"].clone();
    assert_eq!(order["status"], "CONFIRMED");
    let id = order["id"].clone();
    let payment = order["payments"][0]["id"].clone();

    // `order` (nullable) beside the public catalog: a client who may not
    // see it gets null there, and the rest.
    let both = "query($id: ID!) { productBySku(sku: \"BOOK-DUNE\") { sku } order(id: $id) { customerEmail status } }";
    let vars = json!({ "id": id });
    let anonymous = m.anonymous().query_with(both, vars.clone()).await;
    assert_eq!(
        anonymous.body["data"],
        json!({ "productBySku": { "sku": "BOOK-DUNE" }, "order": null })
    );
    assert_eq!(errors(&anonymous), vec![json!([UNAUTHORIZED, ["order"]])]);
    let own = m.ada().query_with(both, vars.clone()).await;
    assert_eq!(
        own.data()["order"],
        json!({ "customerEmail": ADA, "status": "CONFIRMED" })
    );
    // Another customer's order is as good as none (its existence stays hidden).
    let other = m.bob().query_with(both, vars.clone()).await;
    assert_eq!(other.data()["order"], Value::Null);
    let admin = m.admin().query_with(both, vars.clone()).await;
    assert_eq!(admin.data()["order"]["customerEmail"], ADA);

    // `orders` is granted by the own_orders policy: one's own email, or
    // the orders:read scope.
    let list = "query($email: String) { orders(customerEmail: $email) { edges { node { id } } } }";
    let ada_list = m
        .ada()
        .query_with(list, json!({ "email": "ADA@example.com" }))
        .await;
    assert_eq!(ada_list.data()["orders"]["edges"][0]["node"]["id"], id);
    for (client, email) in [
        (m.anonymous(), json!(ADA)),
        (m.bob(), json!(ADA)),
        (m.ada(), Value::Null),
    ] {
        let refused = client.query_with(list, json!({ "email": email })).await;
        // `orders` is non-null at the root: `data` itself is null.
        assert_eq!(refused.body["data"], Value::Null, "{}", refused.body);
        assert_eq!(errors(&refused), vec![json!([UNAUTHORIZED, ["orders"]])]);
    }
    let everyone = m.admin().query_with(list, json!({})).await;
    assert!(
        !everyone.data()["orders"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Payments directly need orders:read; through one's order they show.
    let by_id = "query($id: ID!) { payment(id: $id) { status } }";
    let ada_payment = m.ada().query_with(by_id, json!({ "id": payment })).await;
    assert_eq!(
        errors(&ada_payment),
        vec![json!([UNAUTHORIZED, ["payment"]])]
    );
    let admin_payment = m.admin().query_with(by_id, json!({ "id": payment })).await;
    assert_eq!(admin_payment.data()["payment"]["status"], "CAPTURED");

    // Back-office changes to the order need admin.
    let ship = "mutation($id: ID!) { shipOrder(id: $id, carrier: \"UPS\", trackingNumber: \"1Z\") { status } }";
    let refused = m.ada().query_with(ship, json!({ "id": id })).await;
    assert_eq!(errors(&refused), vec![json!([UNAUTHORIZED, ["shipOrder"]])]);
    let invoice = "mutation($id: ID!) { markInvoicePaid(paymentId: $id) { status } }";
    let refused = m.ada().query_with(invoice, json!({ "id": payment })).await;
    assert_eq!(
        errors(&refused),
        vec![json!([UNAUTHORIZED, ["markInvoicePaid"]])]
    );
    let shipped = m.admin().query_with(ship, json!({ "id": id })).await;
    assert_eq!(shipped.data()["shipOrder"]["status"], "SHIPPED");

    // Cancelling: one's own order only.
    let cancel = "mutation($id: ID!) { cancelOrder(id: $id) { status } }";
    let refused = m.bob().query_with(cancel, json!({ "id": id })).await;
    assert_eq!(refused.error_code(), "ORDER_NOT_FOUND", "{}", refused.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_check_what_concerns_them_when_called_around_the_router() {
    let m = Matrix::start().await;
    let create = r#"mutation { createProduct(input: { sku: "SIDE-1", name: "Side door", description: "", price: { amount: 100, currency: "USD" }, category: "Books" }) { sku } }"#;
    // No identity: anonymous.
    let unsigned = m.system.unsigned_client("products").query(create).await;
    assert_eq!(
        unsigned.error_code(),
        "UNAUTHENTICATED",
        "{}",
        unsigned.body
    );
    // An identity the router did not sign: refused outright.
    let forged = m
        .system
        .unsigned_client("products")
        .with_header(
            subgraph_kit::caller::IDENTITY_HEADER,
            "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6ImFkbWluIn0.c2lnbmF0dXJl",
        )
        .query(create)
        .await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.error_code(), "UNAUTHENTICATED");
    let orders = m
        .system
        .unsigned_client("orders")
        .query("{ orders { edges { node { id } } } }")
        .await;
    assert_eq!(orders.error_code(), "UNAUTHENTICATED");
    // Reads of the catalog stay open.
    let catalog = m
        .system
        .unsigned_client("products")
        .query("{ products(first: 1) { edges { node { sku } } } }")
        .await;
    assert!(catalog.data()["products"]["edges"].is_array());
    // The admin identity the router signs works.
    let signed = m.system.client("products").query(create).await;
    assert_eq!(signed.data()["createProduct"]["sku"], "SIDE-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_pass_itself_off_through_the_router() {
    let m = Matrix::start().await;
    let bobs = place(&m.bob(), "bob@example.com", &m.product).await;
    let id = bobs.data()["placeOrder"]["id"].clone();
    // Ada sends the admin's identity header herself: the router replaces
    // it with her own, and the orders service hides Bob's order.
    let ada_as_admin = m.ada().with_header(
        subgraph_kit::caller::IDENTITY_HEADER,
        &m.system.system().service_identity,
    );
    let response = ada_as_admin
        .query_with(
            "query($id: ID!) { order(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(response.data()["order"], Value::Null);
}
