# uapi compatibility test: the item list compared between the system's
# linux/iommufd.h (when there is one) and ours; see tests/uapi/gen_compat.sh.
# Override with: make check-uapi UAPI_COMPAT_SYS=/path/to/older/iommufd.h
UAPI_COMPAT_SYS ?= /usr/include/linux/iommufd.h
UAPI_COMPAT_GEN := build/gen/uapi_compat_list.h

# Always run; the script rewrites the file only when its content changes, so
# the objects below rebuild only when the system header or ours changed.
.PHONY: uapi-compat-gen-force
$(UAPI_COMPAT_GEN): uapi-compat-gen-force
	@bash tests/uapi/gen_compat.sh '$(UAPI_COMPAT_SYS)' uapi/linux/iommufd.h $@

$(foreach t,$(B) $(A) $(C),$(t)/obj/tests/uapi/compat_sys.o $(t)/obj/tests/uapi/compat_ours.o): $(UAPI_COMPAT_GEN)

# The shim suite runs the PLAIN shim and example as child processes (also
# from the ASan suite: an ASan shim cannot be preloaded into a plain program),
# so building the suite builds them first. Order-only: not linked in.
$(B)/tests/shim $(A)/tests/shim $(C)/tests/shim: | $(B)/libmockfd-preload.so $(B)/examples/iommufd_probe
