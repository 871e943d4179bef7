//! The one progress display of the commands that work on many services (fan-out, impact,
//! fleet): a bar with the count and the services in flight, and a line per finished service
//! above it. Drawn on stderr only when it is a terminal (indicatif hides it otherwise), and
//! never under `--quiet` or `--verbose`.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress over a known number of items (services).
pub struct Progress {
    bar: Option<ProgressBar>,
    running: Mutex<Vec<String>>,
}

impl Progress {
    /// A display for `total` items; `enabled` false (or stderr not a terminal) draws nothing.
    pub fn new(total: usize, enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("[{bar:24}] {pos}/{len}  {wide_msg}")
                    .expect("a valid template")
                    .progress_chars("#-"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar: bar.filter(|b| !b.is_hidden()),
            running: Mutex::new(Vec::new()),
        }
    }

    /// `name` started.
    pub fn start(&self, name: &str) {
        let mut running = self.running.lock().expect("progress");
        running.push(name.to_owned());
        self.show(&running);
    }

    /// `name` finished; a non-empty `outcome` is printed on a line of its own above the bar.
    pub fn done(&self, name: &str, outcome: &str) {
        let mut running = self.running.lock().expect("progress");
        running.retain(|n| n != name);
        if let Some(bar) = &self.bar {
            if !outcome.is_empty() {
                bar.println(format!("  {name:<24} {outcome}"));
            }
            bar.inc(1);
        }
        self.show(&running);
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn show(&self, running: &[String]) {
        if let Some(bar) = &self.bar {
            bar.set_message(running.join(", "));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
