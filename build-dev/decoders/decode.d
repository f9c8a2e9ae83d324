build-dev/decoders/decode.o: decoders/decode.c decoders/internal.h \
 decoders/decode.h core/model.h core/format/records.h core/store.h \
 include/hwtrace/error.h core/symbols.h core/model.h core/util.h \
 decoders/unwind.h
decoders/internal.h:
decoders/decode.h:
core/model.h:
core/format/records.h:
core/store.h:
include/hwtrace/error.h:
core/symbols.h:
core/model.h:
core/util.h:
decoders/unwind.h:
