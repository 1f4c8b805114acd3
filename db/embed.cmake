# Turns db/migrations/NNNN_*.sql into a C file that supd is built with:
#   const char *const store_migrations[]; const int store_n_migrations;
# Migration i (0-based) moves the schema from user_version i to i+1.
# Invoked as: cmake -DSRC_DIR=... -DOUT=... -P embed.cmake
file(GLOB files "${SRC_DIR}/migrations/*.sql")
list(SORT files)
set(body "/* generated from db/migrations by db/embed.cmake; do not edit */\n#include \"store_schema.h\"\nconst char *const store_migrations[] = {\n")
set(n 0)
foreach(f IN LISTS files)
  file(READ "${f}" sql)
  string(REPLACE "\\" "\\\\" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
  string(APPEND body "\"${sql}\",\n")
  math(EXPR n "${n} + 1")
endforeach()
string(APPEND body "};\nconst int store_n_migrations = ${n};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
