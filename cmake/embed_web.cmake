# Writes OUT, a C++ file holding the files FILES (a ;-list of paths under
# DIR) as net::embedded_web_assets(). Run at build time by modules/net, so
# the server carries its browser client and needs no files beside it.
set(body "// Generated from web/ by cmake/embed_web.cmake: do not edit.\n#include \"net/web_site.hpp\"\n\nnamespace net {\nnamespace {\n")
set(table "")
set(i 0)
foreach(f IN LISTS FILES)
  file(READ "${DIR}/${f}" hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR size "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "const unsigned char kFile${i}[] = {${bytes}0};\n")
  string(APPEND table "    web_asset{\"/${f}\", std::string_view(reinterpret_cast<const char*>(kFile${i}), ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "const web_asset kAssets[] = {\n${table}    web_asset{\"\", \"\"}};\n}  // namespace\n\n")
string(APPEND body "std::span<const web_asset> embedded_web_assets() noexcept {\n  return {kAssets, std::size(kAssets) - 1};\n}\n\n}  // namespace net\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
