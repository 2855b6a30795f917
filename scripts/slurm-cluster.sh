#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the tests of `crashsift slurm submit`
# (docs/cluster.md). Usage: scripts/slurm-cluster.sh start|stop|status
#
# start: installs Debian's slurmctld, slurmd, slurm-client and munge if missing, writes a munge
# key and /etc/slurm/slurm.conf (one node, described by `slurmd -C`; no systemd or cgroups:
# proctrack/linuxproc, task/none), starts munged, slurmctld and slurmd as root and waits until the
# node is idle. stop: cancels the jobs and stops the three daemons it started (by their pid files;
# also after a failed test run). Run as root; state lives in /var/tmp/crashsift-slurm. Refuses to
# touch a slurm.conf it did not write (a machine that is a real Slurm node).
set -euo pipefail
state=/var/tmp/crashsift-slurm
conf=/etc/slurm/slurm.conf
marker="# written by crashsift scripts/slurm-cluster.sh"

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-cluster: run as root (the daemons and the munge key need it)" >&2
    exit 2
  fi
}

install_packages() {
  local needed=()
  for pkg in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || needed+=("$pkg")
  done
  if [ ${#needed[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
  fi
}

ours() { [ -f "$conf" ] && grep -qF "$marker" "$conf"; }

stop() {
  # Only what this script started: its own configuration's jobs, then its daemons by pid file.
  # scancel and squeue wait ~20 s for a controller that is not running: ask only a live one.
  local ctld_pid=""
  [ -f "$state/slurmctld.pid" ] && ctld_pid=$(cat "$state/slurmctld.pid")
  if ours && command -v scancel >/dev/null && [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
    scancel --full --quiet --user=root 2>/dev/null || true
    for _ in $(seq 1 50); do
      [ -z "$(squeue -h 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  for daemon in slurmd slurmctld munged; do
    local pidfile="$state/$daemon.pid"
    [ "$daemon" = munged ] && pidfile=/run/munge/munged.pid
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  # Job steps slurmd leaves behind with proctrack/linuxproc.
  pkill -9 -x slurmstepd 2>/dev/null || true
  echo "slurm-cluster: stopped"
}

start() {
  need_root
  if [ -f "$conf" ] && ! ours; then
    echo "slurm-cluster: $conf exists and was not written by this script; not touching this machine's Slurm" >&2
    exit 1
  fi
  install_packages
  stop >/dev/null
  mkdir -p "$state/slurmd" "$state/slurmctld" /etc/slurm /run/munge /var/log/munge /var/lib/munge
  # munge: a key of its own, owned by the munge user; munged refuses lax permissions.
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  chmod 0700 /etc/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  chmod 0400 /etc/munge/munge.key
  # munged runs as its own user; its pid file lives where that user may write.
  su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=/run/munge/munged.pid"
  local host node
  host=$(hostname -s)
  node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
  cat >"$conf" <<EOF
$marker
ClusterName=crashsift
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmUser=root
SlurmdUser=root
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmdSpoolDir=$state/slurmd
StateSaveLocation=$state/slurmctld
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MinJobAge=86400
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  /usr/sbin/slurmctld -f "$conf"
  /usr/sbin/slurmd -f "$conf"
  # A fresh machine can take a while: slurmctld first writes its state, and slurmd registers on
  # its own retry timer. Wait up to 90 s; a node that registers down, drained or invalid is
  # resumed, and slurmd is restarted once half-way in case its first registration was lost.
  local state_now=""
  for i in $(seq 1 450); do
    state_now=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
    case "$state_now" in
      idle*) echo "slurm-cluster: node $host idle after $((i / 5)) s"; return 0 ;;
      down* | drain* | inval* | fail*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    if [ "$i" -eq 225 ] && [ -f "$state/slurmd.pid" ]; then
      echo "slurm-cluster: node $host is '${state_now:-no answer}' after 45 s; restarting slurmd" >&2
      kill "$(cat "$state/slurmd.pid")" 2>/dev/null || true
      sleep 1
      /usr/sbin/slurmd -f "$conf" || true
    fi
    sleep 0.2
  done
  echo "slurm-cluster: the node did not become idle in 90 s (last state: '${state_now:-no answer}'); logs in $state" >&2
  sinfo -R >&2 2>&1 || true
  scontrol show node "$host" >&2 2>&1 || true
  for log in "$state/slurmctld.log" "$state/slurmd.log"; do
    echo "--- $log" >&2
    tail -n 30 "$log" >&2 2>&1 || true
  done
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop)
    if [ -f "$conf" ] && ! ours; then
      echo "slurm-cluster: $conf was not written by this script; nothing stopped" >&2
      exit 0
    fi
    stop
    ;;
  status) sinfo && squeue ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
