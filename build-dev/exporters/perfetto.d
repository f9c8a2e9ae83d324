build-dev/exporters/perfetto.o: exporters/perfetto.c \
 include/hwtrace/error.h exporters/pbuf.h exporters/aggregate.h \
 core/model.h core/util.h exporters/slice_track.h exporters/builtin.h \
 exporters/exporter.h
include/hwtrace/error.h:
exporters/pbuf.h:
exporters/aggregate.h:
core/model.h:
core/util.h:
exporters/slice_track.h:
exporters/builtin.h:
exporters/exporter.h:
