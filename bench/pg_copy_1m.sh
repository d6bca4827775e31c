#!/usr/bin/env bash
# Copy a scored 1M demo (SQLite) into a migrated, empty PostgreSQL database by
# COPY, for the PostgreSQL benchmarks at 1,000,000 customers (issue 9): users,
# products, customers, identities, manual tags and their links, interactions,
# orders (no order lines, no snapshots: the run under test writes its own).
# The columns both sides have; foreign-key triggers off for this session only
# (session_replication_role: the rows come from a consistent database).
#   bench/pg_copy_1m.sh /path/to/guanxi.sqlite3 postgres://postgres@127.0.0.1:PORT/guanxi
# then copy the SQLite folder's keys.json into the GUANXI_DATA_DIR used with
# that DATABASE_URL (the customers' fields are encrypted with it).
set -euo pipefail
SRC="file:${1:?the SQLite file}?immutable=1"
export PGOPTIONS="-c timezone=UTC -c session_replication_role=replica -c maintenance_work_mem=256MB"
PSQL="psql ${2:?the PostgreSQL URL} -v ON_ERROR_STOP=1"
copy() {
  local t=$1 where=${2:-}
  local pgcols sqcols cols
  pgcols=$($PSQL -tAc "select column_name from information_schema.columns where table_name='$t' order by ordinal_position")
  sqcols=$(sqlite3 "$SRC" "select name from pragma_table_info('$t')")
  cols=$(comm -12 <(echo "$pgcols" | sort) <(echo "$sqcols" | sort) | paste -sd, -)
  echo "$(date +%T) $t: $cols"
  local start=$SECONDS
  sqlite3 -csv -cmd ".nullvalue '\\N'" "$SRC" "select $cols from $t $where" \
    | $PSQL -c "COPY $t ($cols) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
  echo "$(date +%T) $t done in $((SECONDS-start)) s"
}
copy auth_user
copy access_staffprofile
copy commerce_product
copy customers_customer
copy customers_customeridentity
copy customers_tag "where kind='manual'"
copy customers_customertag "where tag_id in (select id from customers_tag where kind='manual')"
copy customers_interaction
copy commerce_order
for t in auth_user access_staffprofile commerce_product customers_customer customers_customeridentity customers_tag customers_interaction commerce_order; do
  $PSQL -tAc "select setval(pg_get_serial_sequence('$t','id'), (select max(id) from $t))"
done
$PSQL -c "ANALYZE"
echo "$(date +%T) all done"
