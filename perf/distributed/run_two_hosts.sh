#!/usr/bin/env bash
# Two hosts on one machine, as root: network namespaces dnntrain_a and dnntrain_b joined by a veth
# pair (10.77.0.1 and 10.77.0.2), each process with its own host name (a UTS namespace), and
# mpirun starting the remote daemon through this script instead of ssh. Runs the allreduce sweep
# over TCP between the two, or the README's several-hosts line on Fashion-MNIST for one epoch.
# Usage: perf/distributed/run_two_hosts.sh [build-dir] [allreduce|train]
set -euo pipefail
if [ "${1:-}" = --agent ]; then  # mpirun's rsh agent: --agent HOST COMMAND...
  host=$2
  shift 2
  case $host in
    10.77.0.2) exec ip netns exec dnntrain_b unshare --uts sh -c "hostname hostb; $*" ;;
    *) exec ip netns exec dnntrain_a unshare --uts sh -c "hostname hosta; $*" ;;
  esac
fi
build=$(realpath "${1:-build}")
part=${2:-allreduce}
self=$(realpath "$0")
work=$(mktemp -d)
cleanup() {
  ip netns del dnntrain_a 2> /dev/null || true  # deleting a namespace deletes its veth end and the pair
  ip netns del dnntrain_b 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add dnntrain_a
ip netns add dnntrain_b
ip link add dnntrain_va type veth peer name dnntrain_vb
ip link set dnntrain_va netns dnntrain_a
ip link set dnntrain_vb netns dnntrain_b
ip -n dnntrain_a addr add 10.77.0.1/24 dev dnntrain_va
ip -n dnntrain_b addr add 10.77.0.2/24 dev dnntrain_vb
for ns in a b; do
  ip -n dnntrain_$ns link set lo up
  ip -n dnntrain_$ns link set dnntrain_v$ns up
done
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' > "$work/hosts"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
net=10.77.0.0/24
mpi="mpirun -np 2 --hostfile $work/hosts --bind-to none --mca plm_rsh_agent '$self --agent'"
mpi+=" --mca btl_tcp_if_include $net --mca oob_tcp_if_include $net -x OMP_NUM_THREADS=1"
if [ "$part" = allreduce ]; then
  cmd="$mpi --mca pml ob1 --mca btl self,tcp $build/perf/distributed/dist_bench allreduce --max-mb 128"
  ip netns exec dnntrain_a unshare --uts sh -c "hostname hosta; $cmd" | sed 's/^{/{"btl":"tcp-veth-2-hosts",/'
else
  cmd="$mpi --mca btl self,vader,tcp $build/apps/dnntrain train --threads 1 --dataset fashion-mnist -b 64 --lr 0.1 --epochs 1"
  cmd+=" --output-dir $work/run"
  echo "\$ $cmd"
  ip netns exec dnntrain_a unshare --uts sh -c "hostname hosta; /usr/bin/time -f 'wall %e s' $cmd" 2>&1
fi
