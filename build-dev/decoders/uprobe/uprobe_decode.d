build-dev/decoders/uprobe/uprobe_decode.o: \
 decoders/uprobe/uprobe_decode.c core/util.h include/hwtrace/error.h \
 core/format/uprobe_format.h decoders/internal.h decoders/decode.h \
 core/model.h core/format/records.h core/store.h core/symbols.h \
 core/model.h decoders/unwind.h
core/util.h:
include/hwtrace/error.h:
core/format/uprobe_format.h:
decoders/internal.h:
decoders/decode.h:
core/model.h:
core/format/records.h:
core/store.h:
core/symbols.h:
core/model.h:
decoders/unwind.h:
