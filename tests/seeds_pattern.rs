//! The seeds' own pattern, as a user writes it: a nested async fn that fans out with a
//! `TaskGroup` on a `Pool`, borrowing its arguments, called from a `Group` actor. It must
//! compile as written: every future `run` returns to callers inside actors holds no borrow
//! that makes it less than `Send` for every lifetime.

use std::{convert::Infallible, io};

use run::{Context, Group, Pool, TaskGroup};

async fn google(pool: &Pool, query: &'static str) -> Result<Vec<String>, run::Error> {
    let group = TaskGroup::builder().name("google").pool(pool).build()?;
    let (send, mut results) = tokio::sync::mpsc::unbounded_channel();
    for kind in ["web", "image", "video"] {
        let send = send.clone();
        group
            .go_named(kind, move |_ctx: Context| async move {
                let _ = send.send(format!("{kind} result for {query}"));
                Ok::<_, Infallible>(())
            })
            .await?;
    }
    drop(send);
    group.wait().await?;
    let mut found = Vec::new();
    while let Some(result) = results.recv().await {
        found.push(result);
    }
    found.sort();
    Ok(found)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seeds_google_search_runs_as_a_nested_fn_of_a_group_actor() {
    let pool = Pool::builder().max(4).build().unwrap();
    let (send, found) = tokio::sync::oneshot::channel();
    let mut app = Group::new();
    app.spawn(move |_ctx: Context| async move {
        let results = google(&pool, "golang").await?;
        send.send(results).unwrap();
        Ok::<_, run::Error>(())
    });
    app.run().await.unwrap();
    assert_eq!(
        found.await.unwrap(),
        [
            "image result for golang",
            "video result for golang",
            "web result for golang"
        ]
    );
    let _ = io::Error::other("unused");
}

/// Uses every future of `run`'s public API that an actor awaits, through borrows, inside a
/// future that must be `Send` for any lifetime (what `Group::spawn` and `tokio::spawn` ask).
/// It only has to compile: a future that held a borrow the wrong way would not.
async fn every_public_future(
    pool: &Pool,
    tasks: &TaskGroup,
    handle: &run::RunHandle,
    ctx: &Context,
    name: &'static str,
) -> Result<(), run::Error> {
    tasks
        .go(move |_ctx: Context| async move { assert!(!name.is_empty()) })
        .await?;
    tasks.go_named(name, |_ctx: Context| async {}).await?;
    tasks.wait().await?;
    let job = pool.submit(async move { name.len() }).await?;
    let _ = job.await;
    let job = pool
        .submit_timeout(async move { name.len() }, std::time::Duration::from_secs(1))
        .await?;
    let _ = job.await;
    handle.wait().await?;
    handle.close().await?;
    ctx.interrupted().await;
    ctx.interrupted_owned().await;
    let mut group = ctx.group();
    group.spawn(|_ctx: Context| async {});
    group.run().await?;
    let group = ctx.group();
    group.run_until(async {}).await?;
    pool.close().await
}

#[test]
fn every_public_future_is_send_for_any_lifetime() {
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    // Type-checked, never run: it compiles only if every future above is `Send` for any
    // lifetime when awaited through borrows inside an actor.
    let _check = |pool: Pool, tasks: TaskGroup, handle: run::RunHandle| {
        spawnable(async move {
            let mut group = Group::new();
            group.spawn(move |ctx: Context| async move {
                every_public_future(&pool, &tasks, &handle, &ctx, "q").await
            });
            group.run().await
        });
    };
}
