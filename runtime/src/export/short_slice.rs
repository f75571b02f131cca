//! The export thread asks the kernel for short turns on a core.
//!
//! The export worker sleeps until a batch is full, then needs a core for a moment (a 512-span
//! batch handed to a no-op exporter takes about 0.1 ms). Linux's scheduler (EEVDF) runs a
//! thread that wakes only when it is due: with the default slice (1.4 ms on a 2-core host),
//! threads busy making calls keep both cores for their whole slices first. In a 1M-call burst
//! from two threads on two cores the worker waited up to 9 ms to run after it was woken, and up
//! to 12.6k spans (about 25 MB) waited with it (`cargo bench --bench burst`, BENCHMARKS.md).
//!
//! Since Linux 6.12 a thread may ask for a shorter slice (`sched_attr.sched_runtime` of a
//! `SCHED_OTHER` thread; no privilege needed). It is then run sooner after it wakes, and
//! preempted sooner when it runs long. Its share of the CPU and its priority (nice value) are
//! unchanged: it does not take time from the application's threads, it takes its turns
//! earlier. Earlier kernels ignore the slice or refuse the request, and the worker works the
//! same either way; other systems are not asked.

/// The slice the export thread asks for: the shortest Linux grants.
#[cfg(target_os = "linux")]
pub(crate) const SLICE_NS: u64 = 100_000;

/// Asks the kernel to run the calling thread in slices of [`SLICE_NS`], keeping its policy and
/// nice value; whether the kernel accepted. Threads under another policy than the default
/// (`SCHED_OTHER` or `SCHED_BATCH`: real-time, idle, deadline) are left as they are.
#[cfg(target_os = "linux")]
pub(crate) fn ask_for_short_slice() -> bool {
    const SIZE: u32 = std::mem::size_of::<libc::sched_attr>() as u32;
    let mut attr = libc::sched_attr {
        size: SIZE,
        sched_policy: 0,
        sched_flags: 0,
        sched_nice: 0,
        sched_priority: 0,
        sched_runtime: 0,
        sched_deadline: 0,
        sched_period: 0,
    };
    // SAFETY: `sched_getattr` writes at most `SIZE` bytes into `attr`, a `sched_attr` of that
    // size that lives across the call; thread 0 is the calling thread.
    let read = unsafe {
        libc::syscall(
            libc::SYS_sched_getattr,
            0,
            &mut attr as *mut libc::sched_attr,
            SIZE,
            0,
        )
    };
    let policy = attr.sched_policy as libc::c_int;
    if read != 0 || !(policy == libc::SCHED_OTHER || policy == libc::SCHED_BATCH) {
        return false;
    }
    // The same policy, nice value (asking for a lower nice would need a privilege) and
    // reset-on-fork flag, and the slice. Other flags `sched_getattr` reports (utilization
    // clamps) would ask to change them.
    attr.size = SIZE;
    attr.sched_flags &= libc::SCHED_FLAG_RESET_ON_FORK as u64;
    attr.sched_runtime = SLICE_NS;
    // SAFETY: `sched_setattr` reads `attr.size` bytes from `attr`, a `sched_attr` that lives
    // across the call; thread 0 is the calling thread.
    let written = unsafe {
        libc::syscall(
            libc::SYS_sched_setattr,
            0,
            &attr as *const libc::sched_attr,
            0,
        )
    };
    written == 0
}

#[cfg(all(test, target_os = "linux"))]
pub(crate) mod tests {
    use super::*;

    /// The slice the kernel reports for a thread (`se.slice` in `/proc/.../sched`), if it
    /// reports one (kernels with custom slices do).
    pub(crate) fn slice_of(task: &std::path::Path) -> Option<u64> {
        let sched = std::fs::read_to_string(task.join("sched")).ok()?;
        sched.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            if name.trim() == "se.slice" {
                value.trim().parse().ok()
            } else {
                None
            }
        })
    }

    fn nice() -> i32 {
        // SAFETY: plain system calls on the calling thread; `getpriority` may return -1
        // legitimately, which the nice values used here are not.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::getpriority(libc::PRIO_PROCESS, tid)
        }
    }

    #[test]
    fn the_slice_is_granted_and_the_nice_value_kept() {
        std::thread::spawn(|| {
            // A lower priority than the default, which an unprivileged thread could not take
            // back: asking for the slice must keep it.
            // SAFETY: `setpriority` on the calling thread (its thread id).
            let set = unsafe {
                let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                libc::setpriority(libc::PRIO_PROCESS, tid, 3)
            };
            assert_eq!(set, 0, "setpriority");
            let before = slice_of(std::path::Path::new("/proc/thread-self"));
            assert!(ask_for_short_slice(), "the kernel refused the slice");
            assert_eq!(nice(), 3, "asking for the slice changed the nice value");
            if let Some(before) = before {
                // This kernel reports slices: the request took effect.
                assert_ne!(
                    before, SLICE_NS,
                    "the default slice is already the one asked for"
                );
                assert_eq!(
                    slice_of(std::path::Path::new("/proc/thread-self")),
                    Some(SLICE_NS)
                );
            }
        })
        .join()
        .expect("the test thread");
    }
}
