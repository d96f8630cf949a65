#!/usr/bin/env bash
# Prove the cluster path on a real SLURM: install Debian's slurm-wlm and munge, start a one-node
# cluster on localhost (as /work/shared/design/STACK.md describes), run the smoke sweep through
# hydra/launcher=submitit_slurm, aggregate it, and stop the daemons this script started.
#
#   sudo scripts/slurm_local.sh                 # from the repository root; needs root and apt
#   PY=/path/to/python sudo -E scripts/slurm_local.sh
#
# Not part of `make test`: it installs system packages and starts daemons.
set -euo pipefail

PY=${PY:-.venv/bin/python}
SWEEP_DIR=${SWEEP_DIR:-outputs/sweeps/smoke_slurm}
RUN=/run/abitare-slurm
HOST=$(hostname)

[ "$(id -u)" = 0 ] || { echo "error: run as root (it installs packages and starts slurmctld/slurmd)" >&2; exit 2; }
[ -x "$PY" ] || { echo "error: no python at $PY (run make install, or set PY=...)" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
for d in slurmctld slurmd; do
    if pgrep -x "$d" >/dev/null; then echo "error: $d is already running; not touching it" >&2; exit 2; fi
done

mkdir -p "$RUN" /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
chown munge:munge /run/munge

STARTED=()
stop() {
    for pidfile in "${STARTED[@]}"; do
        if [ -s "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    sleep 1
    echo "stopped the daemons of: ${STARTED[*]:-nothing}"
}
trap stop EXIT

if [ ! -S /run/munge/munge.socket.2 ] || ! munge -n >/dev/null 2>&1; then
    rm -f /run/munge/munged.pid
    su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=/run/munge/munged.pid"   # munged runs as munge
    STARTED+=("/run/munge/munged.pid")
fi

if [ -f /etc/slurm/slurm.conf ] && [ ! -f /etc/slurm/slurm.conf.abitare-backup ]; then
    cp /etc/slurm/slurm.conf /etc/slurm/slurm.conf.abitare-backup
fi
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=abitare
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$HOST CPUs=$(nproc) RealMemory=20000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld && STARTED+=("$RUN/slurmctld.pid")
slurmd && STARTED+=("$RUN/slurmd.pid")
for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && break
    sleep 1
done
echo "== sinfo"; sinfo
echo "== sbatch --wrap hostname"
JOB=$(sbatch --parsable --output=/tmp/abitare-slurm-hostname.out --wrap hostname)
for _ in $(seq 60); do squeue -h -j "$JOB" 2>/dev/null | grep -q . || break; sleep 1; done
echo "job $JOB printed: $(cat /tmp/abitare-slurm-hostname.out)"

echo "== smoke sweep through hydra/launcher=submitit_slurm into $SWEEP_DIR"
set +e
"$PY" -m experiments.run -m +experiment=smoke hydra/launcher=submitit_slurm \
    "hydra.sweep.dir=$SWEEP_DIR" hydra.launcher.partition=debug hydra.launcher.timeout_min=30 \
    hydra.launcher.cpus_per_task=1 hydra.launcher.mem_gb=1
SWEEP=$?
echo "== SLURM jobs of the sweep (submitit folders): $(ls "$SWEEP_DIR/.submitit" 2>/dev/null | tr '\n' ' ')"
"$PY" -m experiments.aggregate "$SWEEP_DIR"
AGG=$?
set -e
echo "== sweep exit $SWEEP, aggregate exit $AGG"
[ "$SWEEP" = 0 ] && [ "$AGG" = 0 ]
