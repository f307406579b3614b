//! Group commit on a redb database: one writer thread per database runs
//! write transactions, and writers that arrive while it commits are
//! batched into its next transaction, so many concurrent writes share one
//! fsync. A thread of its own, rather than a task on the blocking pool per
//! commit: no hand-off to a fresh thread per write, and one allocator
//! heap for the write path (`make bench`, pipeline).
//!
//! Contract for jobs: a job that returns an error (a failed condition, a
//! missing item) must not have written anything before deciding so; then
//! the other jobs of its batch can commit. Each job sees the writes of the
//! jobs before it in the batch, exactly as if they had run one by one. A
//! job that panics fails its whole batch (nothing of it is committed; redb
//! then marks the file for a repair at the next open); the writer thread
//! carries on with the next.

use redb::{Database, Durability, WriteTransaction};
use std::any::Any;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use tokio::sync::oneshot;

type Output = Box<dyn Any + Send>;
type Job = Box<dyn FnOnce(&WriteTransaction) -> Output + Send>;

struct Pending {
    durable: bool,
    job: Job,
    done: oneshot::Sender<Result<Output, String>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    closed: bool,
}

struct Shared {
    db: Arc<Database>,
    queue: Mutex<Queue>,
    wake: Condvar,
}

pub(crate) struct Committer {
    shared: Arc<Shared>,
    /// Taken when dropped (to join it).
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Committer {
    /// Start the database's writer thread, named `thread` (what `top -H`
    /// and `make bench` show it as; at most 15 bytes on Linux); an error
    /// when the system cannot start a thread.
    pub(crate) fn new(db: Arc<Database>, thread: &str) -> Result<Self, String> {
        let shared = Arc::new(Shared {
            db,
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let s = shared.clone();
        let writer = std::thread::Builder::new()
            .name(thread.into())
            .spawn(move || writer(&s))
            .map_err(|e| format!("the storage writer thread did not start: {e}"))?;
        Ok(Self {
            shared,
            writer: Some(writer),
        })
    }

    pub(crate) fn db(&self) -> &Arc<Database> {
        &self.shared.db
    }

    /// Run `f` in a write transaction shared with any concurrent writers and
    /// return its result once the transaction has committed (with fsync when
    /// any job of the batch asked for durability).
    pub(crate) async fn write<R: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&WriteTransaction) -> R + Send + 'static,
    ) -> Result<R, String> {
        let (done, rx) = oneshot::channel();
        let job: Job = Box::new(move |txn| Box::new(f(txn)) as Output);
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pending
            .push(Pending { durable, job, done });
        self.shared.wake.notify_one();
        decode(
            rx.await
                .map_err(|_| "the write was dropped (a job of its batch panicked)".to_string())?,
        )
    }
}

impl Drop for Committer {
    /// Commit what is pending, then stop the writer (it holds the database
    /// open: a reopen in the same process needs it gone).
    fn drop(&mut self) {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        self.shared.wake.notify_one();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The writer thread: take everything pending, commit it as one batch,
/// repeat; stop once closed with nothing pending.
fn writer(shared: &Shared) {
    loop {
        let jobs = {
            let mut q = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            while q.pending.is_empty() && !q.closed {
                q = shared.wake.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
            if q.pending.is_empty() {
                return;
            }
            std::mem::take(&mut q.pending)
        };
        // A panicking job drops its batch's senders: each caller gets an error.
        let db = &shared.db;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_batch(db, jobs))).is_err() {
            tracing::error!("a storage write panicked; its batch was not committed");
        }
    }
}

fn decode<R: 'static>(result: Result<Output, String>) -> Result<R, String> {
    result?
        .downcast::<R>()
        .map(|b| *b)
        .map_err(|_| "write returned an unexpected type".to_string())
}

fn run_batch(db: &Database, jobs: Vec<Pending>) {
    let fail_all = |jobs: Vec<Pending>, e: String| {
        for j in jobs {
            let _ = j.done.send(Err(e.clone()));
        }
    };
    let durable = jobs.iter().any(|j| j.durable);
    let mut txn = match db.begin_write() {
        Ok(t) => t,
        Err(e) => return fail_all(jobs, e.to_string()),
    };
    if let Err(e) = txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    }) {
        return fail_all(jobs, e.to_string());
    }
    let mut outputs = Vec::with_capacity(jobs.len());
    for Pending { job, done, .. } in jobs {
        outputs.push((done, job(&txn)));
    }
    match txn.commit() {
        Ok(()) => {
            for (done, out) in outputs {
                let _ = done.send(Ok(out));
            }
        }
        Err(e) => {
            let e = e.to_string();
            for (done, _) in outputs {
                let _ = done.send(Err(e.clone()));
            }
        }
    }
}
