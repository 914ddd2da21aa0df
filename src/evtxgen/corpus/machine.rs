//! The corpus's random numbers and its machines: each with a user, SIDs and a pool of running
//! processes that later events refer to.

use super::catalog;
use crate::evtxgen::windows::{Account, Host, Proc};

/// splitmix64: small, fast, and the same everywhere.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    /// True `per_mille` times in a thousand.
    pub(super) fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One computer: its user, its running processes.
pub(super) struct Machine {
    pub(super) host: Host,
    pub(super) user: &'static str,
    pub(super) user_sid: String,
    pub(super) logon_id: String,
    /// Long-lived processes first (`BASE` of them), then recent ones.
    pub(super) procs: Vec<Proc>,
    next_pid: u32,
    seq: u32,
    prefix: u32,
}

/// How many long-lived processes each machine keeps.
const BASE: usize = 4;
/// How many processes a machine remembers.
const POOL: usize = 48;

impl Machine {
    pub(super) fn new(index: usize, rng: &mut Rng) -> Machine {
        let computer = if index < 2 {
            format!("SRV{:02}.corp.example", index + 1)
        } else {
            format!("WKS-{:04}.corp.example", 100 + index)
        };
        let user = catalog::USERS[index % catalog::USERS.len()];
        let mut host = Host::new(&computer);
        host.sysmon_pid = 2000 + rng.below(3000) as u32 * 4;
        let mut m = Machine {
            host,
            user,
            user_sid: format!("S-1-5-21-3623811015-3361044348-30300820-{}", 1100 + index),
            logon_id: format!("{:#x}", 0x40000 + rng.below(0xfffff)),
            procs: Vec::with_capacity(POOL),
            next_pid: 4000 + rng.below(1000) as u32 * 4,
            seq: 0,
            prefix: rng.next() as u32,
        };
        let services = m.new_proc(
            "C:\\Windows\\System32\\services.exe",
            "C:\\Windows\\system32\\services.exe",
            true,
        );
        let svchost = m.new_proc(
            "C:\\Windows\\System32\\svchost.exe",
            "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
            true,
        );
        let explorer = m.new_proc(
            "C:\\Windows\\explorer.exe",
            "C:\\Windows\\Explorer.EXE",
            false,
        );
        let chrome = m.new_proc(
            "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
            "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" ",
            false,
        );
        m.procs.extend([services, svchost, explorer, chrome]);
        m
    }

    pub(super) fn new_proc(&mut self, image: &str, command_line: &str, system: bool) -> Proc {
        self.seq += 1;
        self.next_pid = 1000 + (self.next_pid + 4 * (1 + self.seq % 7)) % 60000;
        let user = if system {
            "NT AUTHORITY\\SYSTEM".to_string()
        } else {
            format!("CORP\\{}", self.user)
        };
        let guid = format!(
            "{{{:08X}-{:04X}-6668-{:04X}-{:012X}}}",
            self.prefix,
            (self.seq >> 16) & 0xffff,
            self.seq & 0xffff,
            self.next_pid
        );
        Proc::new(
            guid,
            self.next_pid,
            &image.replace("{user}", self.user),
            &command_line.replace("{user}", self.user),
            &user,
            &format!("{{{:08X}-0000-6668-0000-000000000000}}", self.prefix),
            &self.logon_id,
        )
    }

    pub(super) fn remember(&mut self, p: Proc) {
        if self.procs.len() >= POOL {
            let oldest = BASE + (self.seq as usize % (POOL - BASE));
            self.procs[oldest] = p;
        } else {
            self.procs.push(p);
        }
    }

    pub(super) fn subject(&self) -> Account {
        Account {
            sid: self.user_sid.clone(),
            name: self.user.to_string(),
            domain: "CORP".to_string(),
            logon_id: self.logon_id.clone(),
        }
    }
}
