build-dev/exporters/funcstats.o: exporters/funcstats.c core/util.h \
 include/hwtrace/error.h exporters/slice_track.h core/model.h \
 exporters/slices.h
core/util.h:
include/hwtrace/error.h:
exporters/slice_track.h:
core/model.h:
exporters/slices.h:
