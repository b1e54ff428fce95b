//! One reload per burst of triggers. Writing a file is several events
//! (create, writes, close, rename), and a deploy may change the supergraph
//! and the config a moment apart: the reload waits until the triggers
//! have been quiet for a little, so it reads finished files, once.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

/// What asks for a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A watched file (or its directory entry) changed.
    File,
    /// SIGHUP: an operator asked.
    Hangup,
}

/// The triggers one reload answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    pub triggers: usize,
    /// An operator asked (SIGHUP), not only the file watch.
    pub hangup: bool,
}

/// How long triggers must be quiet before a reload.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest a burst may go on before it is reloaded anyway, so files
/// that keep changing still get read.
pub const LONGEST: Duration = Duration::from_secs(2);

/// Waits for a trigger, then gathers those that follow until `quiet`
/// passes without one or `longest` since the first. `None` once every
/// sender is gone.
pub async fn next_burst(
    triggers: &mut UnboundedReceiver<Trigger>,
    quiet: Duration,
    longest: Duration,
) -> Option<Burst> {
    let first = triggers.recv().await?;
    let mut burst = Burst {
        triggers: 1,
        hangup: first == Trigger::Hangup,
    };
    let cutoff = Instant::now() + longest;
    loop {
        let until = (Instant::now() + quiet).min(cutoff);
        match tokio::time::timeout_at(until, triggers.recv()).await {
            Ok(Some(trigger)) => {
                burst.triggers += 1;
                burst.hangup |= trigger == Trigger::Hangup;
            }
            // Closed senders end the wait; the burst so far is still due.
            Ok(None) | Err(_) => return Some(burst),
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc::unbounded_channel;

    use super::*;

    const Q: Duration = Duration::from_millis(150);
    const L: Duration = Duration::from_secs(2);

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_events_is_one_reload_after_they_stop() {
        let (send, mut receive) = unbounded_channel();
        let started = Instant::now();
        tokio::spawn(async move {
            for _ in 0..5 {
                send.send(Trigger::File).unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // Held open: only the quiet period ends the burst.
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(send);
        });
        let burst = next_burst(&mut receive, Q, L).await.unwrap();
        assert_eq!(
            burst,
            Burst {
                triggers: 5,
                hangup: false
            }
        );
        // The last event came at 200 ms; the burst ends 150 ms later.
        assert_eq!(started.elapsed(), Duration::from_millis(350));
    }

    #[tokio::test(start_paused = true)]
    async fn events_that_never_stop_still_reload_every_so_often() {
        let (send, mut receive) = unbounded_channel();
        tokio::spawn(async move {
            while send.send(Trigger::File).is_ok() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let started = Instant::now();
        next_burst(&mut receive, Q, L).await.unwrap();
        assert_eq!(started.elapsed(), L);
        let again = Instant::now();
        next_burst(&mut receive, Q, L).await.unwrap();
        assert!(again.elapsed() <= L + Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hangup_anywhere_in_the_burst_is_reported() {
        let (send, mut receive) = unbounded_channel();
        send.send(Trigger::File).unwrap();
        send.send(Trigger::Hangup).unwrap();
        send.send(Trigger::File).unwrap();
        let burst = next_burst(&mut receive, Q, L).await.unwrap();
        assert_eq!(
            burst,
            Burst {
                triggers: 3,
                hangup: true
            }
        );
        drop(send);
        assert_eq!(next_burst(&mut receive, Q, L).await, None, "closed");
    }

    #[tokio::test(start_paused = true)]
    async fn separate_events_are_separate_reloads() {
        let (send, mut receive) = unbounded_channel();
        tokio::spawn(async move {
            send.send(Trigger::File).unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
            send.send(Trigger::File).unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        for _ in 0..2 {
            let burst = next_burst(&mut receive, Q, L).await.unwrap();
            assert_eq!(burst.triggers, 1);
        }
    }
}
