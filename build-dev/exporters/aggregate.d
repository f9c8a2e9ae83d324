build-dev/exporters/aggregate.o: exporters/aggregate.c \
 include/hwtrace/error.h exporters/aggregate.h core/model.h core/util.h \
 exporters/slice_track.h
include/hwtrace/error.h:
exporters/aggregate.h:
core/model.h:
core/util.h:
exporters/slice_track.h:
