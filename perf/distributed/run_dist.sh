#!/usr/bin/env bash
# The data-parallel measurements, on a quiet machine with at least 2 cores (prints JSON lines):
#   allreduce: MPI_Iallreduce from 8 B to 128 MiB over shared memory (btl vader) and over TCP
#     (loopback here; give TCP_IF=eth0 HOSTFILE=hosts to measure between two hosts), pml ob1 so that
#     the btl named is the one used;
#   resnet50, resnet20: ResNet-50 b32 224² and ResNet-20 b128 1×28² (Fashion-MNIST's shape), 2 ranks
#     × 1 thread against 1 rank × 2 threads: images/s with and without gradient averaging, the
#     allreduce time of a step and the share of it backward hides, and when each gradient is ready.
# Usage: perf/distributed/run_dist.sh [build-dir] [all|allreduce|resnet50|resnet20] >> perf/distributed/results.jsonl
# (one part at a time keeps each run short enough to hold a machine-wide lock).
set -euo pipefail
build=${1:-build}
part=${2:-all}
bench="$build/perf/distributed/dist_bench"
[ -x "$bench" ] || { echo "no $bench: build with Open MPI installed (scripts/deps.sh)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpi=(mpirun --bind-to none)
[ -n "${HOSTFILE:-}" ] && mpi+=(--hostfile "$HOSTFILE")

if [ "$part" = all ] || [ "$part" = allreduce ]; then
  echo "# allreduce, shared memory" >&2
  "${mpi[@]}" -np 2 --mca pml ob1 --mca btl self,vader "$bench" allreduce --max-mb 128 |
    sed 's/^{/{"btl":"vader",/'
  echo "# allreduce, TCP over ${TCP_IF:-lo}" >&2
  "${mpi[@]}" -np 2 --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include "${TCP_IF:-lo}" \
    "$bench" allreduce --max-mb 128 | sed 's/^{/{"btl":"tcp",/'
fi

for shape in "resnet50 32 224 3 1000" "resnet20 128 28 1 10"; do
  read -r model batch size channels classes <<< "$shape"
  [ "$part" = all ] || [ "$part" = "$model" ] || continue
  args=(step --model "$model" --batch "$batch" --image-size "$size" --in-channels "$channels"
        --classes "$classes" --steps 10)
  echo "# $model b$batch ${size}²: 2 ranks x 1 thread, then 1 rank x 2 threads" >&2
  "${mpi[@]}" -np 2 "$bench" "${args[@]}" --threads 1
  OMP_NUM_THREADS=2 "${mpi[@]}" -np 1 "$bench" "${args[@]}" --threads 2
done
