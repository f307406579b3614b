//! Group commit on a redb database: writers that arrive while a commit is
//! under way are batched into the next write transaction, so many
//! concurrent writes share one fsync.
//!
//! Contract for jobs: a job that returns an error (a failed condition, a
//! missing item) must not have written anything before deciding so; then
//! the other jobs of its batch can commit. Each job sees the writes of the
//! jobs before it in the batch, exactly as if they had run one by one.

use redb::{Database, Durability, WriteTransaction};
use std::any::Any;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Output = Box<dyn Any + Send>;
type Job = Box<dyn FnOnce(&WriteTransaction) -> Output + Send>;

struct Pending {
    durable: bool,
    job: Job,
    done: oneshot::Sender<Result<Output, String>>,
}

pub(crate) struct Committer {
    db: Arc<Database>,
    pending: Mutex<Vec<Pending>>,
    leader: tokio::sync::Mutex<()>,
}

impl Committer {
    pub(crate) fn new(db: Arc<Database>) -> Self {
        Self {
            db,
            pending: Mutex::new(Vec::new()),
            leader: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn db(&self) -> &Arc<Database> {
        &self.db
    }

    /// Run `f` in a write transaction shared with any concurrent writers and
    /// return its result once the transaction has committed (with fsync when
    /// any job of the batch asked for durability).
    pub(crate) async fn write<R: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&WriteTransaction) -> R + Send + 'static,
    ) -> Result<R, String> {
        let (done, mut rx) = oneshot::channel();
        let job: Job = Box::new(move |txn| Box::new(f(txn)) as Output);
        self.pending
            .lock()
            .map_err(|_| "commit queue poisoned".to_string())?
            .push(Pending { durable, job, done });
        let leader = self.leader.lock().await;
        // A previous leader may have committed our job while we waited.
        if let Ok(result) = rx.try_recv() {
            return decode(result);
        }
        let jobs = std::mem::take(
            &mut *self
                .pending
                .lock()
                .map_err(|_| "commit queue poisoned".to_string())?,
        );
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || run_batch(&db, jobs))
            .await
            .map_err(|e| format!("storage task failed: {e}"))?;
        drop(leader);
        decode(rx.await.map_err(|_| "write was dropped".to_string())?)
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
