//! The checkout saga: one order across inventory and payments, run step by
//! step (see `domain::CheckoutStep`), with each step's outcome recorded on
//! the order before the next begins. Whoever holds the order's lease runs
//! it: the request that placed it, a retry with the same idempotency key,
//! a cancellation, the payment-outcome consumer, or recovery. Because every
//! step is idempotent on the other side, a runner that dies anywhere leaves
//! an order the next runner can finish or undo.
//!
//! - `faults`: points where tests make the service "die".
//! - `recovery`: the background sweep that picks up unfinished checkouts.
//! - `outcomes`: the consumer of payment events (invoices paid or voided).

pub mod faults;
pub mod outcomes;
pub mod recovery;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::billing::{Billing, PaymentDetails, PaymentState, PaymentStatus};
use crate::domain::{CheckoutFailure, CheckoutStep, Order, OrderError, OrderId, OrderStatus};
use crate::remote::CallError;
use crate::stock::Stock;
use crate::store::{Advance, Guard, Lease, OrderStore, StatusUpdate};
pub use faults::{FaultPoint, Faults};

/// How the checkout paces itself.
#[derive(Debug, Clone)]
pub struct CheckoutSettings {
    /// How long a runner owns an order after each step; a runner that is
    /// silent longer (it died) loses the order to recovery.
    pub lease: Duration,
    /// Tries per call to another service before the step is left to
    /// recovery (calls are idempotent, so a retry after a timeout is safe).
    pub attempts: u32,
    /// Pause before the second try; doubled for each one after.
    pub retry_delay: Duration,
    /// How often recovery looks for checkouts nobody is running.
    pub sweep_every: Duration,
    /// How long a request waits for a checkout another runner holds (a
    /// duplicate `placeOrder`) before answering with the order as it is.
    pub wait_for_runner: Duration,
    pub faults: Faults,
}

impl Default for CheckoutSettings {
    fn default() -> Self {
        CheckoutSettings {
            lease: Duration::from_secs(30),
            attempts: 3,
            retry_delay: Duration::from_millis(100),
            sweep_every: Duration::from_secs(5),
            wait_for_runner: Duration::from_secs(20),
            faults: Faults::default(),
        }
    }
}

/// The idempotency key of an order's one payment authorization.
pub fn payment_key(order: &OrderId) -> String {
    format!("checkout-{}", order.as_str())
}

#[derive(Clone)]
pub struct Checkout {
    store: OrderStore,
    stock: Arc<dyn Stock>,
    billing: Arc<dyn Billing>,
    settings: CheckoutSettings,
}

/// What a step decided: the order's next step and what to record with it.
#[derive(Debug, Default)]
struct Plan {
    step: Option<CheckoutStep>,
    payment_id: Option<String>,
    failure: Option<CheckoutFailure>,
    status: Option<(OrderStatus, OrderStatus, Option<String>)>,
}

impl Plan {
    fn to(step: CheckoutStep) -> Self {
        Plan {
            step: Some(step),
            ..Plan::default()
        }
    }

    fn done() -> Self {
        Plan::default()
    }

    fn with_payment(mut self, payment: &PaymentState) -> Self {
        self.payment_id = Some(payment.id.clone());
        self
    }

    fn failing(mut self, failure: CheckoutFailure) -> Self {
        self.failure = Some(failure);
        self
    }

    /// Ends a PENDING order in the status its failure calls for (an order
    /// already past PENDING just finishes its checkout).
    fn fail(order: &Order, failure: CheckoutFailure) -> Self {
        if order.status != OrderStatus::Pending {
            return Plan::done();
        }
        let status = Some((
            order.status,
            failure.final_status(),
            Some(failure.message.clone()),
        ));
        Plan {
            step: None,
            payment_id: None,
            failure: Some(failure),
            status,
        }
    }
}

/// A step could not reach a service: leave the order for later.
struct Stalled(CallError);

impl Checkout {
    pub fn new(
        store: OrderStore,
        stock: Arc<dyn Stock>,
        billing: Arc<dyn Billing>,
        settings: CheckoutSettings,
    ) -> Self {
        Checkout {
            store,
            stock,
            billing,
            settings,
        }
    }

    pub fn settings(&self) -> &CheckoutSettings {
        &self.settings
    }

    pub fn new_lease(&self) -> Lease {
        Lease::new(self.settings.lease)
    }

    /// Runs `order`'s checkout under `lease` until nothing is left to do,
    /// it waits for an invoice, or a service cannot be reached (recovery
    /// continues it then). `details` are the payment details when the
    /// caller has them; without them (recovery), an authorization that may
    /// have happened is looked up instead of made, and one that did not is
    /// undone.
    pub async fn run(
        &self,
        mut order: Order,
        mut lease: Lease,
        details: Option<&PaymentDetails>,
    ) -> Result<Order, OrderError> {
        loop {
            let Some(step) = order.checkout_step.filter(|s| s.is_runnable()) else {
                self.store.release_lease(&order.id, &lease).await?;
                return Ok(order);
            };
            let faults = &self.settings.faults;
            faults.check(FaultPoint::Before(step))?;
            let plan = match self.perform(&order, step, details).await {
                Ok(plan) => plan,
                Err(Stalled(err)) => {
                    tracing::warn!(order = order.id.as_str(), step = step.as_str(), error = %err, "checkout stalled; recovery will continue it");
                    self.store.release_lease(&order.id, &lease).await?;
                    return Ok(order);
                }
            };
            faults.check(FaultPoint::After(step))?;
            lease.until = Lease::expiry(self.settings.lease);
            let advance = Advance {
                step: plan.step,
                payment_id: plan.payment_id.as_deref(),
                failure: plan.failure.as_ref(),
                status: plan.status.as_ref().map(|(from, to, note)| StatusUpdate {
                    from: *from,
                    to: *to,
                    note: note.as_deref(),
                    shipment: None,
                }),
            };
            match self
                .store
                .advance(&order.id, Guard::Held(&lease), &advance)
                .await?
            {
                Some(next) => order = next,
                // Our lease expired and another runner took the order over.
                None => return self.wait_for(&order.id).await,
            }
        }
    }

    /// Brings an existing order as far as it can go now: runs it if nobody
    /// else does, otherwise waits (bounded) for whoever does.
    pub async fn settle(
        &self,
        order: Order,
        details: Option<&PaymentDetails>,
    ) -> Result<Order, OrderError> {
        if !order.checkout_step.is_some_and(CheckoutStep::is_runnable) {
            return Ok(order);
        }
        let lease = self.new_lease();
        match self.store.claim(&order.id, &lease).await? {
            Some(claimed) => self.run(claimed, lease, details).await,
            None => self.wait_for(&order.id).await,
        }
    }

    /// Polls `id` until its checkout has nothing runnable left, or its
    /// runner let go (then runs it here, without payment details), or the
    /// wait is over; returns the order as it then is.
    async fn wait_for(&self, id: &OrderId) -> Result<Order, OrderError> {
        let deadline = Instant::now() + self.settings.wait_for_runner;
        loop {
            let order = self
                .store
                .get(id)
                .await?
                .ok_or_else(|| OrderError::NotFound(id.as_str().to_owned()))?;
            if !order.checkout_step.is_some_and(CheckoutStep::is_runnable)
                || Instant::now() >= deadline
            {
                return Ok(order);
            }
            let lease = self.new_lease();
            if let Some(claimed) = self.store.claim(id, &lease).await? {
                return Box::pin(self.run(claimed, lease, None)).await;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Cancels an order on request: a CONFIRMED one is refunded and its
    /// units restocked; a PENDING one waiting for an invoice has the invoice
    /// voided and its stock released. Cancelling a cancelled order returns
    /// it unchanged.
    pub async fn cancel(&self, id: &OrderId, reason: Option<&str>) -> Result<Order, OrderError> {
        let deadline = Instant::now() + self.settings.wait_for_runner;
        while Instant::now() < deadline {
            let order = self
                .store
                .get(id)
                .await?
                .ok_or_else(|| OrderError::NotFound(id.as_str().to_owned()))?;
            if order.status == OrderStatus::Cancelled {
                return Ok(order);
            }
            order.status.transition_to(OrderStatus::Cancelled)?;
            let lease = self.new_lease();
            match (order.status, order.checkout_step) {
                (OrderStatus::Confirmed, None) => {
                    let advance = Advance {
                        step: Some(CheckoutStep::Refund),
                        status: Some(StatusUpdate {
                            from: OrderStatus::Confirmed,
                            to: OrderStatus::Cancelled,
                            note: reason,
                            shipment: None,
                        }),
                        ..Advance::default()
                    };
                    // None: another change came first; look again.
                    if let Some(order) = self
                        .store
                        .advance(id, Guard::Idle(&lease), &advance)
                        .await?
                    {
                        return self.run(order, lease, None).await;
                    }
                }
                (OrderStatus::Pending, Some(CheckoutStep::AwaitPayment)) => {
                    if self.store.claim(id, &lease).await?.is_some() {
                        let failure = CheckoutFailure::new(
                            "CANCELLED_BY_REQUEST",
                            reason.unwrap_or("cancelled on request"),
                        );
                        let advance = Advance {
                            step: Some(CheckoutStep::Void),
                            failure: Some(&failure),
                            ..Advance::default()
                        };
                        if let Some(order) = self
                            .store
                            .advance(id, Guard::Held(&lease), &advance)
                            .await?
                        {
                            return self.run(order, lease, None).await;
                        }
                    } else {
                        // Another cancellation (or the payment's outcome) holds it.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                // An order from before checkouts were recorded.
                (OrderStatus::Pending, None) => {
                    let update = StatusUpdate {
                        from: OrderStatus::Pending,
                        to: OrderStatus::Cancelled,
                        note: reason,
                        shipment: None,
                    };
                    if let Some(order) = self.store.change_status(id, &update).await? {
                        return Ok(order);
                    }
                }
                // A checkout under way: let it finish (or finish it here),
                // then cancel what it became.
                _ => match self.store.claim(id, &lease).await? {
                    Some(claimed) => {
                        self.run(claimed, lease, None).await?;
                    }
                    None => {
                        self.wait_for(id).await?;
                    }
                },
            }
        }
        Err(OrderError::CheckoutInProgress)
    }

    /// Does `step` for `order` and says what comes next.
    async fn perform(
        &self,
        order: &Order,
        step: CheckoutStep,
        details: Option<&PaymentDetails>,
    ) -> Result<Plan, Stalled> {
        use CheckoutStep as S;
        let id = &order.id;
        let failure_or = |code: &str, message: &str| {
            order
                .failure
                .clone()
                .unwrap_or_else(|| CheckoutFailure::new(code, message))
        };
        let interrupted = || {
            CheckoutFailure::new(
                "CHECKOUT_INTERRUPTED",
                "the checkout was interrupted before payment; nothing was charged",
            )
        };
        Ok(match step {
            S::Reserve => {
                if details.is_none() {
                    // Without the payment details this order cannot be paid:
                    // undo whatever hold may have been made.
                    return Ok(Plan::to(S::Release).failing(interrupted()));
                }
                let items = self.items(id).await?;
                match self.retrying(|| self.stock.reserve(id, &items)).await {
                    Ok(_) => Plan::to(S::Authorize),
                    Err(err) => match refusal(&err) {
                        // Refused: nothing is held, the order ends here.
                        Some((code, message)) => {
                            Plan::fail(order, CheckoutFailure::new(code, message))
                        }
                        None => return Err(Stalled(err)),
                    },
                }
            }
            S::Authorize => {
                let state = match details {
                    Some(details) => {
                        let key = payment_key(id);
                        let authorized = self
                            .retrying(|| self.billing.authorize(id, order.total, details, &key))
                            .await;
                        match authorized {
                            Ok(state) => state,
                            Err(err) => match refusal(&err) {
                                Some((code, message)) => {
                                    return Ok(Plan::to(S::Release).failing(CheckoutFailure::new(
                                        "INVALID_PAYMENT",
                                        format!("{code}: {message}"),
                                    )));
                                }
                                None => return Err(Stalled(err)),
                            },
                        }
                    }
                    None => {
                        let payments = self
                            .retrying(|| self.billing.payments_of(id))
                            .await
                            .map_err(Stalled)?;
                        match payments.into_iter().last() {
                            Some(state) => state,
                            None => return Ok(Plan::to(S::Release).failing(interrupted())),
                        }
                    }
                };
                after_payment(&state)
            }
            S::Capture => {
                let Some(payment) = &order.payment_id else {
                    return Ok(Plan::to(S::Release).failing(interrupted()));
                };
                match self.retrying(|| self.billing.capture(payment)).await {
                    Ok(state) => after_payment(&state),
                    Err(err) => match refusal(&err) {
                        Some((_, message)) => Plan::to(S::Void)
                            .failing(CheckoutFailure::new("PAYMENT_FAILED", message)),
                        None => return Err(Stalled(err)),
                    },
                }
            }
            S::Commit => match self.retrying(|| self.stock.commit(id)).await {
                Ok(_) => Plan {
                    status: Some((
                        OrderStatus::Pending,
                        OrderStatus::Confirmed,
                        Some("paid; stock committed".to_owned()),
                    )),
                    ..Plan::done()
                },
                Err(err) => match refusal(&err) {
                    Some((code, message)) => {
                        Plan::to(S::Refund).failing(CheckoutFailure::new(code, message))
                    }
                    None => return Err(Stalled(err)),
                },
            },
            S::AwaitPayment => Plan::to(S::AwaitPayment),
            S::Void => {
                let Some(payment) = &order.payment_id else {
                    return Ok(Plan::to(S::Release));
                };
                match self.retrying(|| self.billing.void(payment)).await {
                    Ok(_) => Plan::to(S::Release),
                    // Not voidable: it may have been captured meanwhile.
                    Err(err) if refusal(&err).is_some() => Plan::to(S::Refund),
                    Err(err) => return Err(Stalled(err)),
                }
            }
            S::Refund => {
                if let Some(payment) = &order.payment_id {
                    match self.retrying(|| self.billing.refund(payment)).await {
                        Ok(_) => {}
                        Err(err) => match refusal(&err) {
                            // Nothing captured to give back.
                            Some(_) => {
                                tracing::info!(order = id.as_str(), error = %err, "nothing to refund")
                            }
                            None => return Err(Stalled(err)),
                        },
                    }
                }
                if order.status == OrderStatus::Pending {
                    Plan::to(S::Release)
                } else {
                    Plan::to(S::Restock)
                }
            }
            S::Release => match self.retrying(|| self.stock.release(id)).await {
                Ok(_) => Plan::fail(order, failure_or("CHECKOUT_INTERRUPTED", "checkout undone")),
                Err(err) => match err.refusal() {
                    // Never held: nothing to free.
                    Some("RESERVATION_NOT_FOUND") => {
                        Plan::fail(order, failure_or("CHECKOUT_INTERRUPTED", "checkout undone"))
                    }
                    // Already sold: put the units back instead.
                    Some("RESERVATION_COMMITTED") => Plan::to(S::Restock),
                    Some(_) => {
                        tracing::error!(order = id.as_str(), error = %err, "stock release refused");
                        Plan::fail(order, failure_or("CHECKOUT_INTERRUPTED", "checkout undone"))
                    }
                    None => return Err(Stalled(err)),
                },
            },
            S::Restock => {
                match self.retrying(|| self.stock.restock(id)).await {
                    Ok(_) => {}
                    Err(err) => match refusal(&err) {
                        Some(_) => {
                            tracing::error!(order = id.as_str(), error = %err, "restock refused")
                        }
                        None => return Err(Stalled(err)),
                    },
                }
                if order.status == OrderStatus::Pending {
                    Plan::fail(order, failure_or("CHECKOUT_INTERRUPTED", "checkout undone"))
                } else {
                    Plan::done()
                }
            }
        })
    }

    async fn items(&self, id: &OrderId) -> Result<Vec<(crate::domain::ProductId, i64)>, Stalled> {
        let items = self
            .store
            .items_of(std::slice::from_ref(id))
            .await
            .map_err(|e| {
                Stalled(CallError::Unavailable {
                    service: "orders database",
                    reason: e.to_string(),
                })
            })?;
        Ok(items
            .get(id)
            .map(|items| {
                items
                    .iter()
                    .map(|i| (i.product_id.clone(), i64::from(i.quantity)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Calls until the service answers (data or refusal), at most
    /// `attempts` times, backing off between tries.
    async fn retrying<T, F, Fut>(&self, mut call: F) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let mut delay = self.settings.retry_delay;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(err @ CallError::Unavailable { .. }) if attempt < self.settings.attempts => {
                    tracing::debug!(error = %err, attempt, "retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

fn refusal(err: &CallError) -> Option<(&str, &str)> {
    Some((err.refusal()?, err.refusal_message()?))
}

/// The next step once the payment is in `state`.
fn after_payment(state: &PaymentState) -> Plan {
    use CheckoutStep as S;
    let reason = state.failure_reason.as_deref();
    match state.status {
        PaymentStatus::Authorized => Plan::to(S::Capture).with_payment(state),
        PaymentStatus::Captured => Plan::to(S::Commit).with_payment(state),
        // An invoice issued (or a gateway still deciding): wait for its outcome.
        PaymentStatus::Pending => Plan::to(S::AwaitPayment).with_payment(state),
        PaymentStatus::Declined => {
            Plan::to(S::Release)
                .with_payment(state)
                .failing(CheckoutFailure::new(
                    "PAYMENT_DECLINED",
                    format!("payment declined: {}", reason.unwrap_or("no reason given")),
                ))
        }
        PaymentStatus::Failed => {
            Plan::to(S::Release)
                .with_payment(state)
                .failing(CheckoutFailure::new(
                    "PAYMENT_FAILED",
                    format!("payment failed: {}", reason.unwrap_or("no reason given")),
                ))
        }
        PaymentStatus::Voided | PaymentStatus::Refunded => Plan::to(S::Release)
            .with_payment(state)
            .failing(CheckoutFailure::new(
                "PAYMENT_FAILED",
                "the payment was voided before the order was confirmed",
            )),
    }
}
