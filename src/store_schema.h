/* store_schema.h - the migrations from db/migrations, compiled in by
 * db/embed.cmake. Migration i moves PRAGMA user_version from i to i+1. */
#pragma once

extern const char *const store_migrations[];
extern const int store_n_migrations;
