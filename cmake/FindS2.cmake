# Finds the S2 Geometry library as packaged by Debian (libs2-dev), which ships
# no CMake config. Defines the imported target s2::s2.
find_path(S2_INCLUDE_DIR NAMES s2/s2cell_id.h)
find_library(S2_LIBRARY NAMES s2)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(S2 DEFAULT_MSG S2_LIBRARY S2_INCLUDE_DIR)

if(S2_FOUND AND NOT TARGET s2::s2)
  add_library(s2::s2 UNKNOWN IMPORTED)
  set_target_properties(s2::s2 PROPERTIES
    IMPORTED_LOCATION "${S2_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${S2_INCLUDE_DIR}")
  # libs2 0.10 headers use Abseil types in their public API.
  set_property(TARGET s2::s2 PROPERTY INTERFACE_LINK_LIBRARIES
    absl::strings absl::str_format absl::flat_hash_map absl::btree)
endif()
mark_as_advanced(S2_INCLUDE_DIR S2_LIBRARY)
