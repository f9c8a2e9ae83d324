build-dev/plugins/sample.o: plugins/sample.c include/hwtrace/plugin.h \
 include/hwtrace/error.h include/hwtrace/error.h core/events.h \
 core/format/records.h
include/hwtrace/plugin.h:
include/hwtrace/error.h:
include/hwtrace/error.h:
core/events.h:
core/format/records.h:
