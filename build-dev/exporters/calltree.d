build-dev/exporters/calltree.o: exporters/calltree.c core/util.h \
 include/hwtrace/error.h exporters/slice_track.h core/model.h \
 exporters/slices.h
core/util.h:
include/hwtrace/error.h:
exporters/slice_track.h:
core/model.h:
exporters/slices.h:
