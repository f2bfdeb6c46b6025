//! A full disk and a read-only directory: `povsim` exits 1 with a message naming the
//! path it could not write, and the results of an earlier run stay as they were.
//!
//! Each test mounts its own small tmpfs (root or CAP_SYS_ADMIN). Where mounting is not
//! permitted the test says "skipped" on standard error; `scripts/test.sh` sets
//! `POVSIM_REQUIRE_TMPFS=1`, which turns a skip into a failure.

use super::common::{povsim, scenario, skip};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a fresh temporary folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mount a tmpfs of `size` (as `mount -o size=` reads it), or `None` where this
    /// process may not mount.
    fn mount(test: &str, size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status();
        if matches!(status, Ok(s) if s.success()) {
            return Some(Tmpfs { dir });
        }
        skip(
            "POVSIM_REQUIRE_TMPFS",
            test,
            "cannot mount a tmpfs (needs root or CAP_SYS_ADMIN)",
        );
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remount read-only.
    fn read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount read-only");
    }

    /// Fill the file system but for about `free` bytes: write one file until the device
    /// is full, then give `free` bytes back.
    fn fill(&self, free: u64) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![0u8; 4096];
        loop {
            match f.write_all(&block) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        // Writes of less than a block may still fit: take those too.
        while f.write_all(&[0u8; 64]).is_ok() {}
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(free)).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Every file under `dir` (relative path) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Names in `dir` that a povsim write leaves only while it works.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-") || n.contains(".old-") || n.contains(".tmp-"))
        .collect()
}

const SMALL: [&str; 6] = ["--households", "300", "--replications", "2", "--years", "3"];

/// `povsim ARGS --out OUT`, expecting exit 1 with one clear message: it cannot write
/// a file under OUT's folder, which it names, because of `why`. Returns standard error.
fn fails_with_1(args: &[&str], out: &Path, why: &str) -> String {
    let output = povsim().args(args).arg("--out").arg(out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.matches("os error").count(),
        1,
        "the cause once: {stderr}"
    );
    assert!(
        !stderr.contains(".partial-") && !stderr.contains(".tmp-"),
        "the message names the file asked for, not a temporary one: {stderr}"
    );
    assert!(stderr.contains("cannot write"), "{stderr}");
    let folder = out.parent().unwrap().display().to_string();
    assert!(
        stderr.contains(&folder),
        "the message names the path: {stderr}"
    );
    assert!(
        stderr.to_lowercase().contains(why),
        "the message says why: {stderr}"
    );
    stderr
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_earlier_run() {
    let Some(fs) = Tmpfs::mount("a_full_disk_fails_cleanly_and_keeps_the_earlier_run", "2m") else {
        return;
    };
    let out = fs.path().join("run");
    povsim()
        .arg("run")
        .args(SMALL)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);
    assert!(before.contains_key(Path::new("summary.csv")));
    fs.fill(0);

    let mut args = vec!["run", "--quiet", "--force", "--seed", "7"];
    args.extend(SMALL);
    fails_with_1(&args, &out, "no space left");
    assert_eq!(snapshot(&out), before, "the earlier run is intact");
    assert!(
        leftovers(fs.path()).is_empty(),
        "{:?}",
        leftovers(fs.path())
    );
}

#[test]
fn a_read_only_directory_fails_cleanly_and_keeps_the_earlier_run() {
    let Some(fs) = Tmpfs::mount(
        "a_read_only_directory_fails_cleanly_and_keeps_the_earlier_run",
        "4m",
    ) else {
        return;
    };
    let out = fs.path().join("compare");
    let study = scenario("jingtai_study.toml");
    let study = study.to_str().unwrap();
    let mut args = vec!["compare", study, "--quiet"];
    args.extend(SMALL);
    povsim()
        .args(&args)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);
    assert!(before.contains_key(Path::new("comparison.csv")));
    fs.read_only();

    args.extend(["--force", "--seed", "7"]);
    fails_with_1(&args, &out, "read-only");
    assert_eq!(snapshot(&out), before, "the earlier comparison is intact");
    assert!(leftovers(fs.path()).is_empty());
}

#[test]
fn a_study_on_a_full_disk_stops_cleanly_and_resumes() {
    let Some(fs) = Tmpfs::mount("a_study_on_a_full_disk_stops_cleanly_and_resumes", "1m") else {
        return;
    };
    let out = fs.path().join("sweep");
    let mut args = vec![
        "sweep",
        "--vary",
        "policy.monitoring.detection_rate=0.1:0.8:8",
        "--quiet",
        "--no-report",
        "--threads",
        "1",
    ];
    args.extend(SMALL);
    // Room for the plan and a few points (a page of 4 KiB holds a small file), not all 8.
    fs.fill(48 * 1024);
    let stderr = fails_with_1(&args, &out, "no space left");
    // The study was created and stopped partway: some points are written, each one
    // whole, and no temporary file is left beside them.
    let points: Vec<_> = std::fs::read_dir(out.join("points"))
        .unwrap_or_else(|e| panic!("the study was not created: {e}; {stderr}"))
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        points
            .iter()
            .all(|p| p.extension().is_some_and(|x| x == "csv")),
        "{points:?}"
    );
    assert!(
        !points.is_empty() && points.len() < 8,
        "the disk filled after some points and before the last: {points:?}"
    );
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    assert!(
        leftovers(fs.path()).is_empty(),
        "{:?}",
        leftovers(fs.path())
    );

    // Space again: the same study completes where it stopped, and its results equal a
    // run that never stopped.
    std::fs::remove_file(fs.path().join("filler")).unwrap();
    povsim()
        .args(["sweep", "--resume"])
        .arg(&out)
        .args(["--quiet", "--no-report"])
        .assert()
        .success();
    let fresh = tempfile::tempdir().unwrap();
    let reference = fresh.path().join("sweep");
    povsim()
        .args(&args)
        .arg("--out")
        .arg(&reference)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.join("sweep.csv")).unwrap(),
        std::fs::read(reference.join("sweep.csv")).unwrap()
    );
}
