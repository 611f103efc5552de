#!/usr/bin/env bash
# Start a single-node Slurm cluster without systemd: munged, slurmctld and slurmd, as root, with
# every path (config, munge key and socket, state, spool, logs, PID files) under one state dir.
#
#   scripts/slurm/start.sh [STATE_DIR]    (default: a new /tmp/lazytlb-slurm-XXXXXX)
#
# Then point the clients at it:  export SLURM_CONF=STATE_DIR/slurm.conf  (STATE_DIR/env says so)
# and stop it with:              scripts/slurm/stop.sh STATE_DIR
#
# The cluster is the simplest one that runs batch jobs: process tracking through /proc
# (proctrack/linuxproc), no cgroups (task/none), no accounting database, no systemd — so it also
# starts in a container without cgroup delegation. Needs slurm-wlm and munge (install.sh).
# Not root: it runs itself again under `sudo -n` (jobs still run as the user who submits them).
#
# Idempotent: when STATE_DIR's three daemons are already up and the node is idle it does nothing;
# when only some of them are (a crash), it stops those and starts afresh. A fresh start forgets
# the previous cluster's jobs (the controller's state and slurmd's spool are emptied); the munge
# key and the logs are kept. On failure it says which step failed, prints the daemon log tails
# and stops what it started.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then exec sudo -n -- "$here/start.sh" "$@"; fi
  echo "start.sh: must run as root, or with password-less sudo (slurmd runs as root to start jobs as their users); running as $(id -un)" >&2
  exit 1
fi
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
for bin in munged munge unmunge slurmctld slurmd sinfo scontrol; do
  command -v "$bin" >/dev/null 2>&1 || {
    echo "start.sh: $bin not found: run scripts/slurm/install.sh first" >&2
    exit 1
  }
done

t0=$(date +%s%N)
# Seconds since a `date +%s%N` (1.234s).
elapsed() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

if [[ $# -ge 1 ]]; then
  state=$1
  mkdir -p "$state"
else
  state=$(mktemp -d /tmp/lazytlb-slurm-XXXXXX)
fi
state=$(cd "$state" && pwd)
conf=$state/slurm.conf
node=$(hostname -s)
export SLURM_CONF=$conf

# The PID in PIDFILE, when it is a live NAME (PIDs are reused: the program must be the one named).
alive() {
  local name=$1 pidfile=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$name"* ]]
}
running=0
for d in munged slurmctld slurmd; do alive "$d" "$state/$d.pid" && running=$((running + 1)); done
if [[ $running -eq 3 && -f $conf ]] && [[ $(sinfo -h -N -n "$node" -o '%t' 2>/dev/null || true) == idle ]]; then
  echo "start.sh: slurm already up in $state (node $node idle): nothing to do"
  echo "SLURM_CONF=$conf"
  exit 0
fi
if [[ $running -gt 0 ]]; then
  echo "start.sh: $running of the 3 daemons of $state are running but the node is not idle: stopping them to start afresh"
  "$here/stop.sh" "$state"
fi

# munged refuses a socket directory that others can write to, and one (or a parent) that others
# cannot search, and files under a directory another user owns (a STATE_DIR made by the user
# who ran this through sudo): the state dir becomes root's. slurmctld and slurmd want theirs to exist.
if [[ $(stat -c %u "$state") -ne 0 ]]; then
  echo "start.sh: $state now belongs to root (munged refuses files under a directory another user owns)"
  chown root:root "$state"
fi
chmod 0755 "$state"
mkdir -p "$state/munge" "$state/ctld" "$state/spool" "$state/log"
chmod 0755 "$state/munge"
# A fresh cluster: no jobs, nodes or reservations remembered from a previous one.
find "$state/ctld" "$state/spool" -mindepth 1 -delete
socket=$state/munge/munge.socket
# A Unix socket's path has room for 107 bytes (and munged appends ".lock" to it for its lock file).
[[ ${#socket} -le 100 ]] || {
  echo "start.sh: $socket is too long for a Unix socket (${#socket} bytes, at most 100): give a shorter STATE_DIR" >&2
  exit 1
}

step=setup
fail() {
  echo "start.sh: step '$step' failed after $(elapsed "$t0"): $*" >&2
  for log in "$state/log/launch.log" "$state/log/munged.log" "$state/log/slurmctld.log" "$state/log/slurmd.log"; do
    [[ -s $log ]] || continue
    echo "----- tail of $log -----" >&2
    tail -n 30 "$log" >&2 || true
  done
  "$here/stop.sh" "$state" >&2 || true
  exit 1
}

# Two TCP ports nobody listens on (read from /proc/net/tcp*, so no ss/netstat is needed): a
# fixed port would clash with another cluster started by a concurrent test run.
listening() {
  # Columns: sl local_address(ADDR:PORT, hex) rem_address st(0A = LISTEN) ...
  local _sl addr _rem st _rest
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r _sl addr _rem st _rest; do
    [[ $st == 0A ]] && echo $((16#${addr##*:}))
  done
  return 0
}
free_port() {
  local used p
  used=" $(listening | tr '\n' ' ') $* "
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    [[ $used == *" $p "* ]] || {
      echo "$p"
      return 0
    }
  done
  return 1
}
step=ports
ctld_port=$(free_port) || fail "no free TCP port for slurmctld"
slurmd_port=$(free_port "$ctld_port") || fail "no free TCP port for slurmd"

# The node as slurmd sees this machine (CPUs, boards, sockets, cores, threads, RealMemory): a node
# declared with more than slurmd finds would be set INVALID and never run a job.
step='slurmd -C'
hw=$(slurmd -C 2>/dev/null | head -n 1) || fail "slurmd -C failed"
[[ $hw == NodeName=* ]] || fail "unexpected slurmd -C output: $hw"
hw=${hw#NodeName=* }

step='write slurm.conf'
cat >"$conf" <<CONF
# Written by scripts/slurm/start.sh: a one-node cluster under $state.
ClusterName=lazytlb
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
# The user start.sh runs as (root: slurmd must be root to start jobs as the users who submit them).
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups, no systemd: processes tracked through /proc, no task binding, no accounting.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobContainerType=job_container/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
# sbatch --wait polls after 2 s, then 8 s later, then every 32 s unless MinJobAge/2 is at most 8:
# with 16 it polls every 8 s (a finished job's record is kept 16 s or more, longer than a poll).
MinJobAge=16
NodeName=$node NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=lazytlb Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
printf 'export SLURM_CONF=%q\n' "$conf" >"$state/env"

# Start a daemon detached from our stdio (a caller capturing our output must not wait on it).
launch() { "$@" </dev/null >>"$state/log/launch.log" 2>&1; }

step=munged
t=$(date +%s%N)
key=$state/munge/munge.key
if [[ ! -f $key ]]; then
  (umask 077 && dd if=/dev/urandom of="$key" bs=1024 count=1 status=none) || fail "cannot write a munge key"
fi
chmod 0400 "$key"
launch munged --socket="$socket" --key-file="$key" --pid-file="$state/munged.pid" \
  --log-file="$state/log/munged.log" --seed-file="$state/munge/munged.seed" || fail "munged did not start (see $state/log/launch.log)"
ok=0
for _ in $(seq 1 100); do
  if munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; then
    ok=1
    break
  fi
  sleep 0.1
done
[[ $ok -eq 1 ]] || fail "munged does not answer on $socket within 10 s"
echo "start.sh: munged up in $(elapsed "$t")"

step=slurmctld
t=$(date +%s%N)
launch slurmctld -f "$conf" || fail "slurmctld exited at once"
ok=0
for _ in $(seq 1 150); do
  if scontrol ping 2>/dev/null | grep -q 'is UP'; then
    ok=1
    break
  fi
  sleep 0.2
done
[[ $ok -eq 1 ]] || fail "slurmctld does not answer 'scontrol ping' within 30 s"
echo "start.sh: slurmctld up in $(elapsed "$t")"

step=slurmd
node_state() { scontrol show node "$node" 2>&1 | grep -E 'Reason=|State=' | tr -s ' \n' ' '; }
t=$(date +%s%N)
launch slurmd -f "$conf" || fail "slurmd exited at once"
st=
for _ in $(seq 1 150); do
  st=$(sinfo -h -N -n "$node" -o '%t' 2>/dev/null || true)
  case $st in
    idle) break ;;
    inval* | drain* | drng* | fail*) fail "node $node is '$st': $(node_state)" ;;
  esac
  sleep 0.2
done
[[ $st == idle ]] || fail "node $node is '${st:-not known to sinfo}', not idle, 30 s after slurmd started: $(node_state)"
echo "start.sh: slurmd up and node $node idle in $(elapsed "$t")"

echo "start.sh: slurm up in $state in $(elapsed "$t0") (node $node: ${hw%% Boards*}; slurmctld port $ctld_port, slurmd port $slurmd_port)"
echo "SLURM_CONF=$conf"
