build-dev/exporters/slice_track.o: exporters/slice_track.c core/util.h \
 include/hwtrace/error.h exporters/slice_track.h core/model.h
core/util.h:
include/hwtrace/error.h:
exporters/slice_track.h:
core/model.h:
