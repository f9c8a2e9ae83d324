build-dev/core/recording.o: core/recording.c core/host.h \
 include/hwtrace/plugin.h include/hwtrace/error.h core/format/records.h \
 include/hwtrace/error.h core/host_internal.h core/store.h core/target.h \
 core/util.h
core/host.h:
include/hwtrace/plugin.h:
include/hwtrace/error.h:
core/format/records.h:
include/hwtrace/error.h:
core/host_internal.h:
core/store.h:
core/target.h:
core/util.h:
