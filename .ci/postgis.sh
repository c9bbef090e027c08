#!/usr/bin/env bash
# Servidor PostGIS local para las pruebas y el banco de pruebas del almacén PostGIS.
#
# Instala PostgreSQL + PostGIS de Debian si faltan, arranca un clúster (el servidor corre como
# el usuario postgres), crea el rol `catastro` y la base `catastro_test` con la extensión postgis,
# y al final imprime en stdout una sola línea:
#
#   export CATASTRO_PG=postgresql://catastro:catastro@127.0.0.1:PUERTO/catastro_test
#
# Uso:  eval "$(.ci/postgis.sh)"
# Idempotente: en una máquina ya preparada solo comprueba y arranca lo que esté parado. Los
# mensajes de avance van a stderr para que stdout sirva a `eval`. Necesita root (apt-get, su).
set -euo pipefail

BASE=${CATASTRO_PG_BASE:-catastro_test}
ROL=${CATASTRO_PG_ROL:-catastro}
CLAVE=${CATASTRO_PG_CLAVE:-catastro}
CLUSTER=${CATASTRO_PG_CLUSTER:-main}

decir() { echo "postgis.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  decir "hay que correrlo como root (instala paquetes y arranca el servidor como postgres)"; exit 1
fi

version_pg() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

# 1. Paquetes: postgresql (el de la distribución) y el postgis de esa versión.
V=$(version_pg)
if [ -z "$V" ] || ! ls /usr/share/postgresql/"$V"/extension/postgis.control >/dev/null 2>&1; then
  decir "instalando postgresql y postgis de Debian…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  V=$(version_pg)
  apt-get install -y -qq "postgresql-$V-postgis-3" >&2
fi
V=$(version_pg)
[ -n "$V" ] || { decir "no se encontró PostgreSQL tras instalarlo"; exit 1; }

# 2. Clúster: el paquete crea `main` al instalarse; si no existe (imagen mínima), se crea.
if ! pg_lsclusters -h | awk -v v="$V" -v c="$CLUSTER" '$1==v && $2==c {f=1} END {exit !f}'; then
  decir "creando el clúster $V/$CLUSTER…"
  pg_createcluster "$V" "$CLUSTER" >&2
fi
if ! pg_lsclusters -h | awk -v v="$V" -v c="$CLUSTER" '$1==v && $2==c && $4=="online" {f=1} END {exit !f}'; then
  decir "arrancando el clúster $V/$CLUSTER…"
  pg_ctlcluster "$V" "$CLUSTER" start >&2
fi
PUERTO=$(pg_lsclusters -h | awk -v v="$V" -v c="$CLUSTER" '$1==v && $2==c {print $3}')

psql_pg() { su postgres -c "PGOPTIONS=-cclient_min_messages=warning psql -X -q -v ON_ERROR_STOP=1 -p $PUERTO $*"; }

# Espera a que acepte conexiones (el arranque en frío tarda un par de segundos).
for _ in $(seq 1 30); do
  if su postgres -c "pg_isready -q -p $PUERTO"; then break; fi
  sleep 1
done
su postgres -c "pg_isready -q -p $PUERTO" || { decir "el servidor no responde en el puerto $PUERTO"; exit 1; }

# 3. Rol con clave (conexión TCP a 127.0.0.1: pg_hba de Debian pide scram-sha-256) y base.
#    El rol no es superusuario: es dueño de su base, crea esquemas y disparadores en ella.
psql_pg "-d postgres" <<SQL >&2
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROL') THEN
    CREATE ROLE $ROL LOGIN PASSWORD '$CLAVE';
  ELSE
    ALTER ROLE $ROL LOGIN PASSWORD '$CLAVE';
  END IF;
END \$\$;
SQL
if [ "$(psql_pg "-d postgres -tA -c \"SELECT 1 FROM pg_database WHERE datname = '$BASE'\"")" != "1" ]; then
  decir "creando la base $BASE…"
  psql_pg "-d postgres -c 'CREATE DATABASE $BASE OWNER $ROL'" >&2
fi
psql_pg "-d $BASE -c 'CREATE EXTENSION IF NOT EXISTS postgis'" >&2

URL="postgresql://$ROL:$CLAVE@127.0.0.1:$PUERTO/$BASE"
decir "listo: PostgreSQL $V, $(psql_pg "-d $BASE -tA -c 'SELECT postgis_lib_version()'" | tr -d '[:space:]') en el puerto $PUERTO"
echo "export CATASTRO_PG=$URL"
