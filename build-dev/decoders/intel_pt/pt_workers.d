build-dev/decoders/intel_pt/pt_workers.o: decoders/intel_pt/pt_workers.c \
 decoders/intel_pt/pt_decode.h core/format/pt_format.h \
 decoders/internal.h decoders/decode.h core/model.h core/format/records.h \
 core/store.h include/hwtrace/error.h core/symbols.h core/model.h \
 core/util.h decoders/unwind.h
decoders/intel_pt/pt_decode.h:
core/format/pt_format.h:
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
