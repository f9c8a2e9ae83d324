build-dev/decoders/intel_pt/pt_import.o: decoders/intel_pt/pt_import.c \
 decoders/intel_pt/pt_import.h include/hwtrace/error.h \
 core/format/pt_format.h core/format/records.h core/store.h core/util.h \
 decoders/intel_pt/pt_decode.h decoders/internal.h decoders/decode.h \
 core/model.h core/symbols.h core/model.h decoders/unwind.h
decoders/intel_pt/pt_import.h:
include/hwtrace/error.h:
core/format/pt_format.h:
core/format/records.h:
core/store.h:
core/util.h:
decoders/intel_pt/pt_decode.h:
decoders/internal.h:
decoders/decode.h:
core/model.h:
core/symbols.h:
core/model.h:
decoders/unwind.h:
