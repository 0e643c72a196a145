#!/usr/bin/env bash
# A one-node SLURM cluster on localhost for the cluster test (tests/cluster/test_cluster.py):
# slurmctld + slurmd + munged, partitions `cpu` and `npu`, the node declares the generic
# resource npu:4 (a count, no device files). Needs root; installs Debian's slurmctld,
# slurmd, slurm-client and munge when they are missing.
#
#   tests/cluster/slurm_local.sh start    # idempotent; prints `export SLURM_CONF=...`
#   tests/cluster/slurm_local.sh stop
#   tests/cluster/slurm_local.sh env      # the export line only
#
# Everything lives in $SLURM_LOCAL_DIR (default /tmp/slurm-local): slurm.conf, gres.conf,
# the munge key and socket, daemon logs, and jobcomp.txt (one line per finished job, with
# its partition and state). /etc/slurm/slurm.conf becomes a link to that slurm.conf (job
# steps started by the executor do not inherit SLURM_CONF); start refuses when another
# slurm.conf is there, and stop removes the link.
set -euo pipefail

DIR=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
NPUS=${SLURM_LOCAL_NPUS:-4}
CTLD_PORT=${SLURM_LOCAL_PORT:-6917}
WAIT_S=60
export SLURM_CONF=$DIR/slurm.conf

die() {
    echo "slurm_local: $*" >&2
    exit 1
}

install_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
        command -v munged >/dev/null && return
    [ "$(id -u)" = 0 ] || die "slurmctld, slurmd, slurm-client and munge are missing and this is not root"
    command -v apt-get >/dev/null || die "slurmctld, slurmd, slurm-client and munge are missing and apt-get is not"
    local pkgs=(slurmctld slurmd slurm-client munge)
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$DIR/apt.log" 2>&1 ||
        { apt-get update -q >>"$DIR/apt.log" 2>&1 &&
            apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$DIR/apt.log" 2>&1; } ||
        die "apt-get install ${pkgs[*]} failed, see $DIR/apt.log"
}

write_config() {
    # the node as slurmd sees it (CPUs, sockets, cores, memory), renamed to localhost
    local node
    node=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')
    cat >"$DIR/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((CTLD_PORT + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge.socket
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# finished jobs stay visible to squeue/scontrol for an hour (the executor's status queries)
MinJobAge=3600
GresTypes=npu
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
NodeName=localhost $node Gres=npu:$NPUS State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=npu Nodes=localhost MaxTime=INFINITE State=UP
EOF
    echo "NodeName=localhost Name=npu Count=$NPUS" >"$DIR/gres.conf"
}

link_config() {
    local etc=/etc/slurm/slurm.conf
    if [ -e "$etc" ] || [ -L "$etc" ]; then
        [ "$(readlink "$etc")" = "$SLURM_CONF" ] || die "$etc exists and is not this cluster's; not touching it"
        return
    fi
    mkdir -p /etc/slurm
    ln -s "$SLURM_CONF" "$etc"
}

# the daemon named $1 runs under the pid its pid file names (not a reused pid)
running() {
    [ -f "$DIR/$1.pid" ] && [ "$(cat "/proc/$(cat "$DIR/$1.pid")/comm" 2>/dev/null)" = "$1" ]
}

node_idle() {
    timeout 5 sinfo -h -n localhost -o '%t' 2>/dev/null | grep -qx 'idle'
}

start() {
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    if running slurmctld && running slurmd && node_idle; then
        link_config
        echo "export SLURM_CONF=$SLURM_CONF"
        return
    fi
    install_packages
    mkdir -p "$DIR/state" "$DIR/spool"
    write_config
    link_config
    if ! running munged; then
        [ -f "$DIR/munge.key" ] || dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none
        chmod 400 "$DIR/munge.key"
        munged --force --socket="$DIR/munge.socket" --key-file="$DIR/munge.key" \
            --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munged.seed" \
            </dev/null >>"$DIR/daemons.out" 2>&1
    fi
    running slurmctld || slurmctld -i </dev/null >>"$DIR/daemons.out" 2>&1
    running slurmd || slurmd -N localhost </dev/null >>"$DIR/daemons.out" 2>&1
    local deadline=$((SECONDS + WAIT_S))
    until node_idle; do
        [ "$SECONDS" -lt "$deadline" ] || die "node not idle after ${WAIT_S}s; see $DIR/*.log"
        sleep 1
    done
    echo "export SLURM_CONF=$SLURM_CONF"
}

stop() {
    local name pid
    for name in slurmd slurmctld munged; do
        running "$name" || continue
        pid=$(cat "$DIR/$name.pid")
        kill "$pid"
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    done
    if [ "$(readlink /etc/slurm/slurm.conf)" = "$SLURM_CONF" ]; then rm /etc/slurm/slurm.conf; fi
    return 0
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) echo "export SLURM_CONF=$SLURM_CONF" ;;
*) die "usage: $0 start|stop|env" ;;
esac
