build-dev/core/host.o: core/host.c core/host.h include/hwtrace/plugin.h \
 include/hwtrace/error.h core/format/records.h include/hwtrace/error.h \
 core/host_internal.h core/store.h core/util.h
core/host.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/format/records.h:
include/hwtrace/error.h:
core/host_internal.h:
core/store.h:
core/util.h:
