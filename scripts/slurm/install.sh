#!/usr/bin/env bash
# Install Debian's Slurm (slurm-wlm: slurmctld, slurmd, the clients) and MUNGE, for the
# single-node test cluster that scripts/slurm/start.sh starts. Needs root, or sudo without a
# password (each apt-get runs under `sudo -n` then).
#
#   scripts/slurm/install.sh
#
# Idempotent: does nothing when the binaries are already there. `apt-get update` runs only when
# apt does not know the packages yet (a fresh image has no package lists), so a machine whose
# lists are current installs from them directly. Debian 12 ships Slurm 22.05.
set -euo pipefail

# A non-root user's PATH often lacks the sbin directories the daemons live in.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
t0=$(date +%s%N)
# Seconds since a `date +%s%N` (1.234s).
elapsed() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

need=(slurmctld slurmd sbatch sinfo squeue scontrol scancel munged munge unmunge)
missing=()
for bin in "${need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install.sh: slurm and munge already installed (slurm-wlm $(dpkg-query -W -f '${Version}' slurm-wlm 2>/dev/null || echo '(not from apt)'), munge $(dpkg-query -W -f '${Version}' munge 2>/dev/null || echo '(not from apt)')): nothing to do"
  exit 0
fi
echo "install.sh: missing ${missing[*]}: installing slurm-wlm and munge with apt-get"

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install.sh: need root or password-less sudo to apt-get install slurm-wlm and munge (running as $(id -un), and sudo -n does not work)" >&2
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "install.sh: missing ${missing[*]} and there is no apt-get to install slurm-wlm and munge" >&2
  exit 1
}

# sudo drops the environment: pass the frontend on the command line.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
# Other tests may run apt-get at the same time (the browser test installs Chromium): wait for
# dpkg's lock instead of failing on it. The lists lock has no such option, hence the retries.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
packages=(slurm-wlm munge)

known() {
  local p policy_out
  for p in "${packages[@]}"; do
    # Captured first: grep -q closing the pipe early would fail the pipeline under pipefail.
    policy_out=$(apt-cache policy "$p" 2>/dev/null) || return 1
    [[ $policy_out == *"Candidate: "[0-9]* ]] || return 1
  done
}

if ! known; then
  t=$(date +%s%N)
  for attempt in 1 2 3 4 5 6; do
    if "${apt[@]}" "${apt_opts[@]}" update -q; then break; fi
    [[ $attempt -lt 6 ]] || {
      echo "install.sh: apt-get update failed $attempt times" >&2
      exit 1
    }
    sleep 10
  done
  echo "install.sh: apt-get update took $(elapsed "$t")"
  known || {
    echo "install.sh: apt knows no ${packages[*]} even after apt-get update (is this Debian/Ubuntu with main enabled?)" >&2
    exit 1
  }
fi

# The packages' maintainer scripts try to start the daemons through init scripts; there is no
# systemd here and start.sh runs its own daemons with their own config, so tell invoke-rc.d to
# leave services alone for the length of this install (exit 101 = action forbidden). Docker's
# Debian images already have such a policy: it is left as it is.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [[ $made_policy -eq 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

t=$(date +%s%N)
if ! "${apt[@]}" "${apt_opts[@]}" install -y -q --no-install-recommends "${packages[@]}"; then
  echo "install.sh: apt-get install ${packages[*]} failed" >&2
  exit 1
fi
echo "install.sh: apt-get install took $(elapsed "$t")"

for bin in "${need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || {
    echo "install.sh: apt-get installed ${packages[*]} but $bin is still missing" >&2
    exit 1
  }
done
echo "install.sh: installed slurm-wlm $(dpkg-query -W -f '${Version}' slurm-wlm) and munge $(dpkg-query -W -f '${Version}' munge) in $(elapsed "$t0")"
