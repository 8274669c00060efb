//! Running a command (an npm install, a JavaScript client, cast) with a
//! time limit and its output collected, for the tests that drive outside
//! programs: the devnode's clients test and the deploy tool's TypeScript
//! client test.

use std::{
    io::Read,
    process::{Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

/// What a finished (or killed) command printed.
pub struct Ran {
    /// The command line.
    pub what: String,
    /// The time limit it ran under.
    pub limit: Duration,
    /// `None` when the command ran out of time and was killed.
    pub status: Option<ExitStatus>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// Runs `cmd` to completion, killing it after `limit`. Output is collected
/// by threads so that a chatty child cannot fill a pipe and stall.
pub fn run(mut cmd: Command, limit: Duration) -> Ran {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let (stdout, out_reader) = collect(child.stdout.take().expect("piped stdout"));
    let (stderr, err_reader) = collect(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    if status.is_some() {
        // Read to the end of the output, but not for ever: a grandchild may
        // still hold the pipes open after the command exited.
        let drained = Instant::now() + Duration::from_secs(5);
        while !(out_reader.is_finished() && err_reader.is_finished()) && Instant::now() < drained {
            thread::sleep(Duration::from_millis(5));
        }
    }
    Ran { what, limit, status, stdout: text(&stdout), stderr: text(&stderr) }
}

/// A buffer that a background thread fills from `pipe` until it closes,
/// and that thread. Shared rather than returned by the thread, so that what
/// arrived before a timeout can be reported even while a grandchild still
/// holds the pipe open.
fn collect(mut pipe: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buffer);
    let reader = thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = pipe.read(&mut chunk) {
            sink.lock().expect("output buffer").extend_from_slice(&chunk[..n]);
        }
    });
    (buffer, reader)
}

/// What a reader collected so far, as text.
fn text(buffer: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buffer.lock().expect("output buffer")).into_owned()
}

/// The command's stdout; fails with its stderr unless it exited with 0.
pub fn succeeded(ran: &Ran, purpose: &str) -> String {
    let outcome = match ran.status {
        Some(status) if status.success() => return ran.stdout.clone(),
        Some(status) => format!("exited with {status}"),
        None => format!("was killed after {}s", ran.limit.as_secs()),
    };
    panic!(
        "{purpose}: {} {outcome}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        ran.what, ran.stdout, ran.stderr
    );
}
