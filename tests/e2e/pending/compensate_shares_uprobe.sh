# NOT RUN by make e2e (tests/e2e/pending/): t_compensate_shares.sh with -b uprobe, which fails on
# this project's VMs in some host states. Run it by hand from the repository root:
#   HWTRACE=$PWD/build/hwtrace PROGS=$PWD/build/programs E2E_LIB=$PWD/tests/e2e/lib.sh \
#     COMP_RUNS="uprobe:hot3 uprobe:hot3_stepped" \
#     bash -c 'cd "$(mktemp -d)" && source "$E2E_LIB" && source "$0"' \
#     $PWD/tests/e2e/t_compensate_shares.sh
# Status: it passed every run (20+) while one of the two vCPUs was kept busy, and fails most runs
# with both idle: the cost a uprobe has inside the traced run then differs from what
# plugins/uprobe/uprobe_cost.c measures at the start of the recording (a tight loop of calls of
# its own functions) by up to 2x (single-stepped: 5.6 us measured, ~10.5 us in hot3_stepped's
# run) and ~35 % (emulated: 1.07 us against ~1.45 us), so the compensated shares are 6-9 points
# off. -b inproc passes (t_compensate_shares.sh) since its runtime measures the cost again during
# the run; a uprobe's cost can only be measured by trapping, which the program would have to do
# itself (a probed function of the runtime's, called now and then): not built.
