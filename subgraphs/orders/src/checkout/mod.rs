//! The checkout saga: one order across inventory and payments, run step by
//! step (see `domain::CheckoutStep`), with each step's outcome recorded on
//! the order before the next begins. Whoever holds the order's lease runs
//! it: the request that placed it, a retry with the same idempotency key,
//! a cancellation, the payment-outcome consumer, or recovery; it renews the
//! lease while a step's call runs, so a slow call never has a second runner
//! beside it. Because every step is idempotent on the other side, a runner
//! that dies anywhere leaves an order the next runner can finish or undo.
//! What a dead runner's last call may still do after its lease ran out is
//! covered on the other side: inventory remembers a released order, so a
//! late reservation holds nothing, and a payment that turns up for an order
//! that ended without it is voided or refunded by `outcomes`.
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
use crate::metrics::{self, StepOutcome};
use crate::remote::CallError;
use crate::stock::{ReservationStatus, Stock};
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
    /// How long an order whose step could not reach a service waits before
    /// recovery tries it again.
    pub stall_pause: Duration,
    /// How often recovery looks for checkouts nobody is running.
    pub sweep_every: Duration,
    /// How long a request waits for a checkout another runner holds (a
    /// duplicate `placeOrder`) before answering with the order as it is.
    pub wait_for_runner: Duration,
    /// How long an order waits for its invoice's outcome event before
    /// recovery asks the payments service itself (a missed event).
    pub recheck_payment_after: Duration,
    pub faults: Faults,
}

/// The most calls to other services one run makes once it resumes an
/// order: a payment lookup, then capture and commit (or void, release and
/// restock on the way back).
const MOST_CALLS_PER_RUN: u32 = 4;

impl CheckoutSettings {
    /// The longest one call to another service takes with its retries,
    /// when each try ends within `call_timeout`.
    pub fn call_bound(&self, call_timeout: Duration) -> Duration {
        let backoff: Duration = (1..self.attempts)
            .map(|n| self.retry_delay * 2u32.saturating_pow(n - 1))
            .sum();
        call_timeout * self.attempts + backoff
    }

    /// The longest an order stays PENDING after its placing request
    /// answered that way (a stalled call), once the services answer within
    /// `call_timeout` again: the stall pause, one sweep, and one recovery
    /// run of at most [`MOST_CALLS_PER_RUN`] calls. (Orders waiting for an
    /// invoice are not bounded by this: they wait for the customer.)
    pub fn settle_bound(&self, call_timeout: Duration) -> Duration {
        self.stall_pause + self.sweep_every + self.call_bound(call_timeout) * MOST_CALLS_PER_RUN
    }
}

impl Default for CheckoutSettings {
    fn default() -> Self {
        CheckoutSettings {
            lease: Duration::from_secs(30),
            attempts: 4,
            retry_delay: Duration::from_millis(100),
            stall_pause: Duration::from_secs(5),
            sweep_every: Duration::from_secs(5),
            wait_for_runner: Duration::from_secs(20),
            recheck_payment_after: Duration::from_secs(60),
            faults: Faults::default(),
        }
    }
}

/// Runs `work` in its own task, so that a client hanging up cannot stop a
/// checkout between a call and the record of its outcome. The task stays in
/// the caller's span: its calls and events belong to the request's trace.
pub async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T, OrderError>> + Send + 'static,
) -> Result<T, OrderError> {
    tokio::spawn(tracing::Instrument::in_current_span(work))
        .await
        .map_err(|err| {
            OrderError::Database(sea_orm::DbErr::Custom(format!(
                "checkout task failed: {err}"
            )))
        })?
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
    /// Recovery runs in progress, at most `recovery::CONCURRENCY`.
    recovering: Arc<tokio::sync::Semaphore>,
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
            recovering: Arc::new(tokio::sync::Semaphore::new(recovery::CONCURRENCY)),
        }
    }

    pub fn new_lease(&self) -> Lease {
        Lease::new(self.settings.lease)
    }

    /// Runs `order`'s checkout under `lease` until nothing is left to do,
    /// it waits for an invoice, or a service cannot be reached (the lease is
    /// then kept for `stall_pause`, and recovery continues after that).
    /// `details` are the payment details when the caller has them; without
    /// them (recovery), an authorization that may have happened is looked up
    /// instead of made, and one that did not is undone.
    pub async fn run(
        &self,
        order: Order,
        lease: Lease,
        details: Option<&PaymentDetails>,
    ) -> Result<Order, OrderError> {
        self.run_from(order, lease, details, false).await
    }

    /// [`Checkout::run`]; with `recheck`, an order waiting for its payment
    /// asks the payments service once whether the payment moved (an event
    /// that was missed or overtook the order).
    async fn run_from(
        &self,
        mut order: Order,
        mut lease: Lease,
        details: Option<&PaymentDetails>,
        mut recheck: bool,
    ) -> Result<Order, OrderError> {
        loop {
            let step = match order.checkout_step {
                Some(CheckoutStep::AwaitPayment) if recheck => CheckoutStep::AwaitPayment,
                Some(step) if step.is_runnable() => step,
                _ => {
                    self.store.release_lease(&order.id, &lease).await?;
                    return Ok(order);
                }
            };
            recheck = false;
            let faults = &self.settings.faults;
            faults.check(FaultPoint::Before(step))?;
            let started = Instant::now();
            let plan = tokio::select! {
                plan = self.perform(&order, step, details) => plan,
                // Renewing failed: another runner has the order now.
                () = self.keep_lease(&order.id, &mut lease) => {
                    metrics::step(step, StepOutcome::Lost, started.elapsed());
                    return Box::pin(self.wait_for(&order.id, details)).await;
                }
            };
            let outcome = match plan {
                Ok(_) => StepOutcome::Ok,
                Err(_) => StepOutcome::Stalled,
            };
            metrics::step(step, outcome, started.elapsed());
            let plan = match plan {
                Ok(plan) => plan,
                Err(Stalled(err)) => {
                    // Hold the order a little longer, so recovery retries
                    // after a pause rather than at once.
                    tracing::warn!(order = order.id.as_str(), step = step.as_str(), error = %err, "checkout stalled; recovery will continue it");
                    let pause = Lease {
                        token: lease.token.clone(),
                        until: Lease::expiry(self.settings.stall_pause),
                    };
                    self.store.renew_lease(&order.id, &pause).await?;
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
                Some(next) => {
                    if let Some((OrderStatus::Pending, to, _)) = &plan.status {
                        metrics::checkout_ended(*to);
                    }
                    order = next;
                }
                // Our lease expired and another runner took the order over.
                None => return Box::pin(self.wait_for(&order.id, details)).await,
            }
        }
    }

    /// Renews `lease` every third of its length while a step's call runs, so
    /// a slow call does not hand the order to a second runner. Returns only
    /// when the lease could not be renewed.
    async fn keep_lease(&self, id: &OrderId, lease: &mut Lease) {
        loop {
            tokio::time::sleep(self.settings.lease / 3).await;
            let renewed = Lease {
                token: lease.token.clone(),
                until: Lease::expiry(self.settings.lease),
            };
            match self.store.renew_lease(id, &renewed).await {
                Ok(true) => *lease = renewed,
                Ok(false) => return,
                Err(err) => {
                    // Keep trying: the lease has time left.
                    tracing::warn!(order = id.as_str(), error = %err, "cannot renew the checkout lease");
                }
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
            None => self.wait_for(&order.id, details).await,
        }
    }

    /// Polls `id` until its checkout has nothing runnable left, or its
    /// runner let go (then runs it here, with `details` if the caller has
    /// them), or the wait is over; returns the order as it then is.
    async fn wait_for(
        &self,
        id: &OrderId,
        details: Option<&PaymentDetails>,
    ) -> Result<Order, OrderError> {
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
                return Box::pin(self.run(claimed, lease, details)).await;
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
                        self.wait_for(id, None).await?;
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
        // Ends the order with the failure recorded on it (every undo path
        // records one; the fallback is for rows from before that).
        let undone = || {
            let failure = order
                .failure
                .clone()
                .unwrap_or_else(|| CheckoutFailure::new("CHECKOUT_INTERRUPTED", "checkout undone"));
            Plan::fail(order, failure)
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
                    Ok(ReservationStatus::Released) => {
                        // Undone before: a late retry must not hold stock again.
                        Plan::fail(order, interrupted())
                    }
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
                            // Another attempt for this order used other
                            // details: go on with the payment it made.
                            Err(err) if err.refusal() == Some("IDEMPOTENCY_KEY_REUSED") => {
                                match self.current_payment(order).await? {
                                    Some(state) => state,
                                    None => return Err(Stalled(err)),
                                }
                            }
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
                    None => match self.current_payment(order).await? {
                        Some(state) => state,
                        None => return Ok(Plan::to(S::Release).failing(interrupted())),
                    },
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
            S::AwaitPayment => match self.current_payment(order).await? {
                Some(state) => after_payment(&state),
                None => Plan::to(S::Release).failing(interrupted()),
            },
            S::Void => {
                let Some(payment) = &order.payment_id else {
                    return Ok(after_money_returned(order));
                };
                match self.retrying(|| self.billing.void(payment)).await {
                    Ok(_) => after_money_returned(order),
                    Err(err) if err.refusal().is_some() => {
                        // Decide by where the payment really is.
                        match self.current_payment(order).await?.map(|p| p.status) {
                            Some(PaymentStatus::Captured) => Plan::to(S::Refund),
                            Some(PaymentStatus::Authorized | PaymentStatus::Pending) => {
                                tracing::error!(order = id.as_str(), error = %err, "the payment cannot be voided; will retry");
                                return Err(Stalled(err));
                            }
                            _ => after_money_returned(order),
                        }
                    }
                    Err(err) => return Err(Stalled(err)),
                }
            }
            S::Refund => {
                let Some(payment) = &order.payment_id else {
                    return Ok(after_money_returned(order));
                };
                match self.retrying(|| self.billing.refund(payment)).await {
                    Ok(_) => after_money_returned(order),
                    Err(err) if err.refusal().is_some() => {
                        match self.current_payment(order).await?.map(|p| p.status) {
                            // Never captured: release the authorization instead.
                            Some(PaymentStatus::Authorized | PaymentStatus::Pending) => {
                                Plan::to(S::Void)
                            }
                            Some(PaymentStatus::Captured) => {
                                tracing::error!(order = id.as_str(), error = %err, "the payment cannot be refunded; will retry");
                                return Err(Stalled(err));
                            }
                            _ => after_money_returned(order),
                        }
                    }
                    Err(err) => return Err(Stalled(err)),
                }
            }
            // Releasing an order that holds nothing is recorded as released
            // by inventory, so it succeeds too.
            S::Release => match self.retrying(|| self.stock.release(id)).await {
                Ok(_) => undone(),
                Err(err) => match err.refusal() {
                    // Already sold: put the units back instead.
                    Some("RESERVATION_COMMITTED") => Plan::to(S::Restock),
                    Some(_) => {
                        tracing::error!(order = id.as_str(), error = %err, "stock release refused");
                        undone()
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
                // A cancelled CONFIRMED order just finishes (see `Plan::fail`).
                undone()
            }
        })
    }

    /// The order's payment as the payments service has it now.
    async fn current_payment(&self, order: &Order) -> Result<Option<PaymentState>, Stalled> {
        let payments = self
            .retrying(|| self.billing.payments_of(&order.id))
            .await
            .map_err(Stalled)?;
        let mine = order
            .payment_id
            .as_ref()
            .and_then(|id| payments.iter().find(|p| p.id == *id).cloned());
        Ok(mine.or_else(|| payments.into_iter().last()))
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

/// Once the money is given back: a PENDING order frees its stock next; a
/// cancelled CONFIRMED one puts its sold units back.
fn after_money_returned(order: &Order) -> Plan {
    if order.status == OrderStatus::Pending {
        Plan::to(CheckoutStep::Release)
    } else {
        Plan::to(CheckoutStep::Restock)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_order_settles_within_a_bound_its_settings_imply() {
        let settings = CheckoutSettings::default();
        // Four tries of 5 s with 100, 200 and 400 ms between them.
        let call = settings.call_bound(Duration::from_secs(5));
        assert_eq!(call, Duration::from_millis(20_700));
        // The stall pause, one sweep, then four such calls.
        assert_eq!(
            settings.settle_bound(Duration::from_secs(5)),
            Duration::from_secs(5) + Duration::from_secs(5) + call * 4
        );
        let single = CheckoutSettings {
            attempts: 1,
            ..CheckoutSettings::default()
        };
        assert_eq!(
            single.call_bound(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
    }
}
