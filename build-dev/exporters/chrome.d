build-dev/exporters/chrome.o: exporters/chrome.c include/hwtrace/error.h \
 exporters/aggregate.h core/model.h core/util.h exporters/slice_track.h \
 exporters/builtin.h exporters/exporter.h
include/hwtrace/error.h:
exporters/aggregate.h:
core/model.h:
core/util.h:
exporters/slice_track.h:
exporters/builtin.h:
exporters/exporter.h:
