#!/usr/bin/env bash
# Stop the cluster scripts/slurm/start.sh started in STATE_DIR, by its PID files only (slurmd,
# slurmctld, then munged): SIGTERM, wait up to 20 s for the process to exit, then SIGKILL.
# Jobs still queued or running are cancelled first (while slurmctld is up), so that no job's
# processes outlive the cluster. A PID file whose process is gone, or whose PID now belongs to
# another program, is skipped. Safe to run twice, or after a start that failed half way. Leaves
# the state dir (config, logs) alone. Not root: it runs itself again under `sudo -n`.
#
#   scripts/slurm/stop.sh STATE_DIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -eq 1 && -d $1 ]] || {
  echo "usage: stop.sh STATE_DIR (a directory start.sh wrote)" >&2
  exit 2
}
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then exec sudo -n -- "$here/stop.sh" "$@"; fi
  echo "stop.sh: must run as root, or with password-less sudo (the daemons run as root); running as $(id -un)" >&2
  exit 1
fi
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
state=$(cd "$1" && pwd)
status=0
t0=$(date +%s%N)
# Seconds since a `date +%s%N` (1.234s).
elapsed() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

# Gone: no such process, or a zombie (a container whose PID 1 does not reap daemons keeps those).
gone() { [[ ! -d /proc/$1 || $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) == Z ]]; }

# The PID in PIDFILE when it is a live NAME (PIDs are reused: only the program the file names counts).
live_pid() {
  local name=$1 pidfile=$2 pid comm
  [[ -s $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  ! gone "$pid" || return 1
  if [[ $comm != "$name"* ]]; then
    echo "stop.sh: $pidfile names PID $pid, which is now '$comm', not $name: left alone" >&2
    return 1
  fi
  echo "$pid"
}

# Jobs the controller knows (0 when it does not answer).
njobs() {
  local out
  out=$(timeout 10 squeue -h -o '%i' 2>/dev/null) || {
    echo 0
    return 0
  }
  grep -c . <<<"$out" || true
}

# Cancel every job of the cluster and give them up to 20 s to go (KillWait is 10 s).
if [[ -f $state/slurm.conf ]] && live_pid slurmctld "$state/slurmctld.pid" >/dev/null 2>&1; then
  export SLURM_CONF=$state/slurm.conf
  n=$(njobs)
  if [[ $n -gt 0 ]]; then
    echo "stop.sh: cancelling $n job(s)"
    timeout 10 scancel --partition=lazytlb 2>/dev/null || true
    for _ in $(seq 1 100); do
      [[ $(njobs) -eq 0 ]] && break
      sleep 0.2
    done
  fi
fi

stop_one() {
  local name=$1 pidfile=$2 pid t
  pid=$(live_pid "$name" "$pidfile") || {
    rm -f "$pidfile"
    return 0
  }
  t=$(date +%s%N)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do
    gone "$pid" && {
      rm -f "$pidfile"
      echo "stop.sh: $name (PID $pid) stopped in $(elapsed "$t")"
      return 0
    }
    sleep 0.1
  done
  echo "stop.sh: $name (PID $pid) still running 20 s after SIGTERM: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
  if ! gone "$pid"; then
    echo "stop.sh: $name (PID $pid) survived SIGKILL" >&2
    status=1
  else
    rm -f "$pidfile"
  fi
}

stop_one slurmd "$state/slurmd.pid"
stop_one slurmctld "$state/slurmctld.pid"
stop_one munged "$state/munged.pid"
echo "stop.sh: $state stopped in $(elapsed "$t0")"
exit "$status"
