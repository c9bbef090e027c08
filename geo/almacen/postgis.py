"""Almacén en PostgreSQL + PostGIS, para oficinas donde varias personas editan a la vez.

La interfaz y toda la lógica (CAMBIOS, plan, validación, historial, reconstrucción a una fecha,
frontis confirmados) son las de :class:`geo.almacen.base.Almacen`; aquí solo están las
primitivas de E/S sobre PostgreSQL.

Tablas (en el esquema ``?esquema=`` de la URL; ``public`` por defecto)
---------------------------------------------------------------------
* Una por capa de :data:`geo.esquema.CAPAS`: clave ``fid`` (``bigint`` identidad), las columnas
  del esquema (texto → ``text``, entero → ``integer``, real → ``double precision``) y ``geom``
  ``geometry(Geometry, SRID)`` con índice GiST y una restricción que admite solo la familia de
  la capa (Polygon/MultiPolygon o LineString/MultiLineString): cada geometría vuelve tal como
  se escribió (sin promover a Multi).
* ``predios`` además: ``codigo`` único y ``version integer not null default 1``.
* ``historial`` y ``frontis_confirmado``: las columnas de
  :data:`~geo.almacen.base.COLUMNAS_HISTORIAL` y :data:`~geo.almacen.base.COLUMNAS_FRONTIS`.

Tablas cargadas por otros medios (QGIS, ``ogr2ogr``) también sirven: la clave primaria y la
columna de geometría se descubren del catálogo, y lo que falte (``version``, ``historial``,
``frontis_confirmado``, disparadores) se crea en la primera escritura.

Ediciones concurrentes
----------------------
* Esta herramienta: en una transacción, bloquea las filas de los predios que toca (en orden de
  código, sin interbloqueos), comprueba que cada una siga en la versión en que se basó el
  cambio y escribe con ``UPDATE … WHERE codigo = %s AND version = %s``. Si otro ganó, deshace
  todo y lanza :class:`geo.errores.ErrorConflicto` nombrando al usuario y expediente del
  último cambio del predio (de ``historial``).
* QGIS u otro cliente que edite la tabla directamente: el disparador ``predios_version`` sube
  ``version`` en cada UPDATE (y el disparador ``predios_historial`` anota la edición en
  ``historial`` con el usuario de la base y ``expediente`` = :data:`EXPEDIENTE_DIRECTO`), de
  modo que un cambio de esta herramienta preparado antes choca y dice quién editó.
  Lo contrario no se puede impedir desde la base: QGIS no comprueba versiones al guardar.
"""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.almacen.base import (
    COLUMNAS_FRONTIS,
    COLUMNAS_HISTORIAL,
    Almacen,
    Plan,
    wkb,
)
from geo.config import CONFIG, Config
from geo.errores import ErrorDatos, ErrorLectura
from geo.esquema import CAPAS

try:
    import psycopg
    from psycopg import sql
except ImportError as e:  # abrir() lo traduce a un mensaje para la persona
    raise ImportError("falta el paquete psycopg (pip install 'psycopg[binary]>=3.1')") from e

log = logging.getLogger(__name__)

ESQUEMA_POR_DEFECTO = "public"
EXPEDIENTE_DIRECTO = "ninguno: edición directa en la base"
"""``expediente`` con que el disparador anota las ediciones hechas fuera de esta herramienta."""

_TIPO_SQL = {"texto": "text", "entero": "integer", "real": "double precision"}
_FAMILIA = {"poligono": ("POLYGON", "MULTIPOLYGON"), "linea": ("LINESTRING", "MULTILINESTRING")}
_ENTEROS = {"int2", "int4", "int8"}
_REALES = {"float4", "float8", "numeric"}
_GUC = "catastro.transaccion"
"""Variable de sesión que marca las escrituras de esta herramienta (los disparadores no
anotan en el historial lo que ella ya anota)."""


def srid(config: Config = CONFIG) -> int:
    """SRID EPSG del CRS métrico de ``config`` (el de todas las geometrías del almacén)."""
    epsg = pyproj.CRS(config.crs_metrico).to_epsg()
    if epsg is None:
        raise ErrorDatos(f"El CRS métrico {config.crs_metrico} no tiene código EPSG: el almacén "
                         "PostGIS necesita uno.", "CRS_SIN_EPSG")
    return epsg


def separar_url(url: str) -> tuple[str, str]:
    """``postgresql://…?esquema=x&sslmode=…`` → (conninfo sin ``esquema``, esquema)."""
    url = url.removeprefix("PG:")
    partes = urlsplit(url)
    consulta = parse_qsl(partes.query, keep_blank_values=True)
    esquema = next((v for k, v in consulta if k == "esquema"), "") or ESQUEMA_POR_DEFECTO
    resto = urlencode([(k, v) for k, v in consulta if k != "esquema"])
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", esquema):
        raise ErrorDatos(f"Esquema '{esquema}' no admitido: use minúsculas, dígitos y _.",
                         "ESQUEMA_INVALIDO")
    return urlunsplit(partes._replace(query=resto)), esquema


def url_sin_clave(url: str) -> str:
    p = urlsplit(url.removeprefix("PG:"))
    if p.password:
        p = p._replace(netloc=p.netloc.replace(f":{p.password}@", ":***@"))
    return urlunsplit(p)


def conectar(url: str) -> psycopg.Connection:
    """Conexión en modo autocommit (las escrituras abren su propia transacción)."""
    conninfo, _ = separar_url(url)
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as e:
        raise ErrorLectura(
            f"No se pudo conectar a {url_sin_clave(url)}: {str(e).strip().splitlines()[-1]}. "
            "Revise servidor, puerto, usuario, contraseña y base.", "POSTGIS_CONEXION") from e


# ---------------------------------------------------------------------------------------------
# Estructura (DDL)


def ddl_capa(esquema: str, capa: str, columnas: dict[str, str] | None = None,
             config: Config = CONFIG) -> list[sql.Composable]:
    """``CREATE TABLE`` + índice GiST de una capa de :data:`CAPAS` (si no existen).

    ``columnas``: nombre → tipo (``texto``/``entero``/``real``), en orden; por defecto, las del
    esquema. En ``predios``, ``codigo`` es único y no nulo y se agrega ``version``.
    """
    c = CAPAS[capa]
    if columnas is None:
        columnas = {col.nombre: col.tipo for col in c.columnas}
    t = sql.Identifier(esquema, capa)
    cols = [sql.SQL("fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")]
    for nombre, tipo in columnas.items():
        if nombre == "version":
            continue
        extra = " NOT NULL UNIQUE" if capa == "predios" and nombre == "codigo" else ""
        cols.append(sql.SQL("{} {}" + extra).format(sql.Identifier(nombre),
                                                   sql.SQL(_TIPO_SQL[tipo])))
    if capa == "predios":
        cols.append(sql.SQL("version integer NOT NULL DEFAULT 1"))
    familia = sql.SQL(", ").join(sql.Literal(f) for f in _FAMILIA[c.geometria])
    cols.append(sql.SQL("geom geometry(Geometry, {}) CHECK (geom IS NULL OR "
                        "GeometryType(geom) IN ({}))").format(sql.Literal(srid(config)), familia))
    return [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(t, sql.SQL(", ").join(cols)),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (geom)").format(
            sql.Identifier(f"{capa}_geom_gist"), t),
    ]


def tipos_de_capa(gdf: pd.DataFrame, capa: str) -> dict[str, str]:
    """Columnas de ``gdf`` (sin geometría) → tipo: el del esquema si la columna es del
    esquema; si no, el de su dtype. Las obligatorias del esquema siempre están."""
    esquema = {c.nombre: c.tipo for c in CAPAS[capa].columnas}
    geom = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    tipos = {c.nombre: c.tipo for c in CAPAS[capa].columnas
             if c.obligatoria and c.nombre not in gdf.columns}
    for c in gdf.columns:
        if c == geom or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(c)):
            continue
        if c in esquema:
            tipos[c] = esquema[c]
        elif pd.api.types.is_integer_dtype(gdf[c]) or pd.api.types.is_bool_dtype(gdf[c]):
            tipos[c] = "entero"
        elif pd.api.types.is_float_dtype(gdf[c]):
            tipos[c] = "real"
        else:
            tipos[c] = "texto"
    return tipos


def ddl_control(esquema: str, tabla: str = "predios", clave: str = "fid",
                geom: str = "geom") -> list[sql.Composable]:
    """``historial``, ``frontis_confirmado``, ``version`` y los disparadores de ``predios``.

    Idempotente. ``tabla``/``clave``/``geom``: nombres reales de la tabla de predios (una tabla
    cargada con ``ogr2ogr`` tiene ``ogc_fid`` y ``wkb_geometry``).
    """
    e = sql.Identifier(esquema)
    h = sql.Identifier(esquema, "historial")
    p = sql.Identifier(esquema, tabla)
    fn_v = sql.Identifier(esquema, "catastro_subir_version")
    fn_h = sql.Identifier(esquema, "catastro_anotar_directa")
    k, g = sql.Identifier(clave), sql.Identifier(geom)
    instante = sql.SQL(
        "greatest(to_char(clock_timestamp() AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), (SELECT max(instante) FROM {}))").format(h)

    def atributos(fila: str) -> sql.Composable:
        return sql.SQL("(to_jsonb({}) - {} - {} - 'version')::text").format(
            sql.SQL(fila), sql.Literal(clave), sql.Literal(geom))

    return [
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1"
                ).format(p),
        sql.SQL("""CREATE TABLE IF NOT EXISTS {} (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            transaccion text NOT NULL, instante text NOT NULL,
            usuario text NOT NULL, expediente text, motivo text,
            operacion text NOT NULL, accion text NOT NULL, codigo text NOT NULL, origen text,
            version_antes integer, version_despues integer, fid bigint,
            antes text, despues text, geom_antes bytea, geom_despues bytea)""").format(h),
        sql.SQL("CREATE INDEX IF NOT EXISTS historial_codigo ON {} (codigo, id)").format(h),
        sql.SQL("CREATE INDEX IF NOT EXISTS historial_instante ON {} (instante)").format(h),
        sql.SQL("""CREATE TABLE IF NOT EXISTS {} (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            codigo text NOT NULL, frontis_m double precision NOT NULL,
            frontis_derivado_m double precision, usuario text NOT NULL,
            instante text NOT NULL, observacion text, expediente text,
            version_predio integer)""").format(sql.Identifier(esquema, "frontis_confirmado")),
        # Toda modificación sube la versión, venga de donde venga (QGIS incluido).
        sql.SQL("""CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.version := OLD.version + 1; RETURN NEW; END $$""").format(fn_v),
        sql.SQL("DROP TRIGGER IF EXISTS predios_version ON {}").format(p),
        sql.SQL("CREATE TRIGGER predios_version BEFORE UPDATE ON {} FOR EACH ROW "
                "EXECUTE FUNCTION {}()").format(p, fn_v),
        # Lo que no escribe esta herramienta (sin la variable de sesión) queda en el historial
        # con el usuario de la base: así el conflicto puede decir quién editó.
        sql.SQL("""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql
            SET search_path = {e}, public AS $$
            DECLARE
              app text := coalesce(nullif(current_setting('application_name', true), ''),
                                   'cliente SQL');
              acc text := CASE TG_OP WHEN 'INSERT' THEN 'alta' WHEN 'DELETE' THEN 'baja'
                                     ELSE 'modificacion' END;
            BEGIN
              IF coalesce(current_setting({guc}, true), '') <> '' THEN
                RETURN NULL;
              END IF;
              INSERT INTO {h} (transaccion, instante, usuario, expediente, motivo, operacion,
                               accion, codigo, version_antes, version_despues, fid, antes,
                               despues, geom_antes, geom_despues)
              VALUES ('directa-' || txid_current(), {instante}, session_user, {exp},
                      'edición directa en la base (' || app || ')', acc, acc,
                      CASE WHEN TG_OP = 'DELETE' THEN OLD.codigo ELSE NEW.codigo END,
                      CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.version END,
                      CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.version END,
                      CASE WHEN TG_OP = 'DELETE' THEN OLD.{k} ELSE NEW.{k} END,
                      CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE {antes} END,
                      CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE {despues} END,
                      CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE ST_AsBinary(OLD.{g}) END,
                      CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE ST_AsBinary(NEW.{g}) END);
              RETURN NULL;
            END $$""").format(
            fn=fn_h, e=e, guc=sql.Literal(_GUC), h=h, instante=instante,
            exp=sql.Literal(EXPEDIENTE_DIRECTO), k=k, g=g,
            antes=atributos("OLD"), despues=atributos("NEW")),
        sql.SQL("DROP TRIGGER IF EXISTS predios_historial ON {}").format(p),
        sql.SQL("CREATE TRIGGER predios_historial AFTER INSERT OR UPDATE OR DELETE ON {} "
                "FOR EACH ROW EXECUTE FUNCTION {}()").format(p, fn_h),
    ]


# ---------------------------------------------------------------------------------------------
# Copia masiva (COPY) en ambos sentidos


def _valores_csv(serie: pd.Series, tipo: str) -> pd.Series:
    """Una columna como texto para COPY CSV (vacío = NULL)."""
    if tipo == "entero":
        return pd.to_numeric(serie, errors="coerce").astype("Int64").astype(object)
    if tipo == "real":
        # repr de float: exacto al ida y vuelta
        v = pd.to_numeric(serie, errors="coerce").astype("float64")
        return v.map(lambda x: repr(float(x)) if pd.notna(x) else None)
    obj = serie.astype(object)
    return obj.where(obj.notna(), None)


def copiar_filas(cur: psycopg.Cursor, tabla: sql.Composable, df: pd.DataFrame,
                 tipos: dict[str, str], geom: str | None = None, srid_: int | None = None,
                 extra: dict[str, pd.Series] | None = None) -> int:
    """Copia ``df`` a ``tabla`` con COPY (CSV): columnas ``tipos`` (+ ``extra`` ya en texto)
    y la geometría ``geom`` como EWKB hex. Devuelve cuántas filas."""
    datos = {c: _valores_csv(df[c], t) if c in df.columns else pd.Series(None, index=df.index,
                                                                           dtype=object)
             for c, t in tipos.items()}
    for c, s in (extra or {}).items():
        datos[c] = s
    columnas = list(datos)
    if geom is not None:
        g = df.geometry.to_numpy()
        g = shapely.set_srid(g, srid_)
        datos[geom] = shapely.to_wkb(g, hex=True, include_srid=True, output_dimension=2)
        columnas.append(geom)
    marco = pd.DataFrame(datos, index=df.index)
    texto = marco.to_csv(index=False, header=False, na_rep="")
    # COPY CSV: el texto vacío sin comillas es NULL; un texto vacío con comillas sería ''.
    orden = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        tabla, sql.SQL(", ").join(sql.Identifier(c) for c in columnas))
    with cur.copy(orden) as cp:
        cp.write(texto.encode("utf-8"))
    return len(marco)


def leer_tabla(cur: psycopg.Cursor, consulta: sql.Composable, tipos: dict[str, str],
               geom: str | None, crs) -> pd.DataFrame | gpd.GeoDataFrame:
    """Ejecuta ``consulta`` (columnas ``tipos`` y, si hay, ``geom`` en WKB hex) con COPY y la
    lee con pandas: entero → ``Int64``, real → ``float64``, texto → object."""
    buf = io.BytesIO()
    with cur.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER)").format(consulta)) as cp:
        for bloque in cp:
            buf.write(bloque)
    buf.seek(0)
    dtype = {c: {"entero": "Int64", "real": "float64"}.get(t, object) for c, t in tipos.items()}
    if geom is not None:
        dtype[geom] = object
    df = pd.read_csv(buf, dtype=dtype, keep_default_na=False, na_values=[""],
                     encoding="utf-8")
    for c, t in tipos.items():
        if t == "texto":
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    if geom is None:
        return df
    hexa = df.pop(geom).to_numpy()
    hexa = np.where(pd.isna(hexa), None, hexa)
    return gpd.GeoDataFrame(df, geometry=shapely.from_wkb(hexa), crs=crs)


# ---------------------------------------------------------------------------------------------
# El almacén


class AlmacenPostGIS(Almacen):
    """Almacén en una base PostgreSQL con PostGIS. Ábralo con :func:`geo.almacen.abrir`.

    ``url``: ``postgresql://usuario:clave@servidor:puerto/base[?esquema=nombre]``.
    """

    def __init__(self, url: str, config: Config = CONFIG):
        self.url = url
        self._conninfo, self.esquema = separar_url(url)
        self.config = config
        self.conn = conectar(url)
        self._tablas_cache: dict[str, tuple[str, str | None, dict[str, str], int | None]] = {}
        with self.conn.cursor() as cur:
            hay = cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
        if not hay:
            self.conn.close()
            raise ErrorLectura(f"La base {self.nombre} no tiene la extensión PostGIS. Un "
                               "administrador debe ejecutar: CREATE EXTENSION postgis;",
                               "POSTGIS_SIN_EXTENSION")

    # ---------------------------------------------------------------- propiedades

    @property
    def nombre(self) -> str:
        return url_sin_clave(self.url)

    @property
    def crs(self):
        info = self._tabla("predios")
        s = info[3] if info else None
        return pyproj.CRS.from_epsg(s) if s else pyproj.CRS(self.config.crs_metrico)

    def cerrar(self) -> None:
        if not self.conn.closed:
            self.conn.close()

    # ---------------------------------------------------------------- catálogo

    def _tabla(self, nombre: str, refrescar: bool = False):
        """(clave, columna de geometría, {columna: tipo}, srid) de una tabla, o None si no
        existe. ``tipos`` excluye la clave y la geometría (incluye ``version`` si la hay)."""
        if not refrescar and nombre in self._tablas_cache:
            return self._tablas_cache[nombre]
        with self.conn.cursor() as cur:
            oid = cur.execute("SELECT to_regclass(%s)::oid",
                              [f'"{self.esquema}"."{nombre}"']).fetchone()[0]
            if oid is None:
                self._tablas_cache.pop(nombre, None)
                return None
            cols = cur.execute(
                "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t "
                "ON t.oid = a.atttypid WHERE a.attrelid = %s AND a.attnum > 0 "
                "AND NOT a.attisdropped ORDER BY a.attnum", [oid]).fetchall()
            pk = cur.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                "i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND "
                "i.indisprimary", [oid]).fetchall()
            geoms = [c for c, t in cols if t == "geometry"]
            s = None
            if geoms:
                s = cur.execute("SELECT srid FROM geometry_columns WHERE f_table_schema = %s "
                                "AND f_table_name = %s AND f_geometry_column = %s",
                                [self.esquema, nombre, geoms[0]]).fetchone()
                s = s[0] if s and s[0] else None
        clave = pk[0][0] if len(pk) == 1 else None
        geom = geoms[0] if geoms else None
        tipos = {}
        for c, t in cols:
            if c in (clave, geom) or t == "geometry":
                continue
            tipos[c] = "entero" if t in _ENTEROS else "real" if t in _REALES else "texto"
        info = (clave, geom, tipos, s)
        self._tablas_cache[nombre] = info
        return info

    def _predios_info(self):
        info = self._tabla("predios")
        if info is None:
            raise ErrorLectura(f"La base {self.nombre} (esquema {self.esquema}) no tiene la "
                               "tabla 'predios'. Cárguela con 'catastro importar-postgis' o "
                               "revise ?esquema= en la URL.", "CAPA_FALTANTE")
        if info[0] is None or info[1] is None:
            raise ErrorDatos(f"La tabla {self.esquema}.predios necesita una clave primaria de "
                             "una columna y una columna de geometría.", "TABLA_SIN_CLAVE")
        return info

    def _seleccion(self, nombre: str, donde: sql.Composable | None = None, orden: bool = True):
        """SELECT de una tabla: clave como ``fid``, atributos y geometría en WKB hex."""
        clave, geom, tipos, _ = self._tabla(nombre)
        partes = []
        if clave is not None:
            partes.append(sql.SQL("{} AS fid").format(sql.Identifier(clave)))
        partes += [sql.Identifier(c) for c in tipos]
        if geom is not None:
            partes.append(sql.SQL("encode(ST_AsBinary({}), 'hex') AS geometry").format(
                sql.Identifier(geom)))
        q = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(partes),
                                                sql.Identifier(self.esquema, nombre))
        if donde is not None:
            q = sql.SQL("{} WHERE {}").format(q, donde)
        if orden and clave is not None:
            q = sql.SQL("{} ORDER BY {}").format(q, sql.Identifier(clave))
        return q

    def _leer(self, nombre: str, donde: sql.Composable | None = None) -> gpd.GeoDataFrame:
        clave, geom, tipos, s = self._tabla(nombre)
        t = dict(tipos)
        if clave is not None:
            t = {"fid": "entero", **t}
        crs = pyproj.CRS.from_epsg(s) if s else None
        with self.conn.cursor() as cur:
            df = leer_tabla(cur, self._seleccion(nombre, donde), t,
                            "geometry" if geom else None, crs)
        if clave is not None and nombre == "predios":
            df = df.set_index(df["fid"].astype("int64").rename(None)).drop(columns="fid")
            df.index.name = "fid"
        elif clave is not None:  # como el GeoPackage: solo predios lleva la clave de índice
            df = df.drop(columns="fid")
        if nombre == "predios" and "version" not in df.columns:
            df["version"] = pd.array(np.ones(len(df), dtype=np.int64), dtype="Int64")
        return df

    # ---------------------------------------------------------------- primitivas de lectura

    def _capas_actuales(self, nombres: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
        nombres = list(CAPAS) if nombres is None else nombres
        return {n: self._leer(n) for n in nombres if self._tabla(n) is not None}

    def _columnas_predios(self) -> dict[str, str]:
        _, _, tipos, _ = self._predios_info()
        return {c: t for c, t in tipos.items() if c != "version"}

    def _predios_por_codigo(self, codigos: list[str]) -> gpd.GeoDataFrame:
        self._predios_info()
        return self._leer("predios", sql.SQL("codigo = ANY({})").format(
            sql.Literal(list(codigos))))

    def _predios_en_caja(self, caja: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        _, geom, _, s = self._predios_info()
        x0, y0, x1, y1 = (float(v) for v in caja)
        return self._leer("predios", sql.SQL("{} && ST_MakeEnvelope({}, {}, {}, {}, {})").format(
            sql.Identifier(geom), x0, y0, x1, y1, sql.Literal(s or srid(self.config))))

    def _registros_historial(self, codigos: list[str] | None = None,
                             desde: str | None = None) -> pd.DataFrame:
        if self._tabla("historial") is None:
            return pd.DataFrame(columns=list(COLUMNAS_HISTORIAL))
        donde, params = [], []
        if codigos is not None:
            donde.append("codigo = ANY(%s)")
            params.append(list(codigos))
        if desde is not None:
            donde.append("instante >= %s")
            params.append(desde)
        q = (f"SELECT {', '.join(COLUMNAS_HISTORIAL)} FROM "
             f'"{self.esquema}".historial' + (" WHERE " + " AND ".join(donde) if donde else "")
             + " ORDER BY id")
        with self.conn.cursor() as cur:
            filas = cur.execute(q, params).fetchall()
        df = pd.DataFrame(filas, columns=list(COLUMNAS_HISTORIAL))
        for c in ("geom_antes", "geom_despues"):
            df[c] = [None if v is None else bytes(v) for v in df[c]]
        for c in ("version_antes", "version_despues", "fid"):
            df[c] = pd.array(df[c], dtype="Int64")
        return df.astype({c: object for c in df.columns if df[c].dtype == object})

    def _registros_frontis(self, hasta: str | None = None) -> pd.DataFrame:
        if self._tabla("frontis_confirmado") is None:
            return pd.DataFrame(columns=list(COLUMNAS_FRONTIS))
        q = f'SELECT {", ".join(COLUMNAS_FRONTIS)} FROM "{self.esquema}".frontis_confirmado'
        params = []
        if hasta is not None:
            q += " WHERE instante < %s"
            params.append(hasta)
        with self.conn.cursor() as cur:
            filas = cur.execute(q + " ORDER BY id", params).fetchall()
        return pd.DataFrame(filas, columns=list(COLUMNAS_FRONTIS))

    # ---------------------------------------------------------------- primitivas de escritura

    def asegurar_estructura(self) -> None:
        """Crea lo que falte para escribir (``version``, historial, frontis, disparadores)."""
        clave, geom, _, _ = self._predios_info()
        with self.conn.transaction(), self.conn.cursor() as cur:
            # un solo creador a la vez (CREATE … IF NOT EXISTS no es seguro en paralelo)
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"ddl:{self.esquema}"])
            for orden in ddl_control(self.esquema, "predios", clave, geom):
                cur.execute(orden)
        self._tablas_cache.clear()

    def _estructura_completa(self) -> bool:
        info = self._tabla("predios")
        if info is None or "version" not in info[2] or self._tabla("historial") is None \
                or self._tabla("frontis_confirmado") is None:
            return False
        with self.conn.cursor() as cur:
            n = cur.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname IN "
                "('predios_version', 'predios_historial')",
                [f'"{self.esquema}"."predios"']).fetchone()[0]
        return n == 2

    def _escribir_plan(self, plan: Plan) -> None:
        if not self._estructura_completa():
            self.asegurar_estructura()
        clave, geom, tipos, s = self._predios_info()
        s = s or srid(self.config)
        columnas = [c for c in tipos if c != "version"]
        tabla = sql.Identifier(self.esquema, "predios")
        k, g = sql.Identifier(clave), sql.Identifier(geom)
        valor_geom = sql.SQL("ST_SetSRID(ST_GeomFromWKB(%s), {})").format(sql.Literal(s))
        asignar = sql.SQL(", ").join(
            [sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columnas]
            + [sql.SQL("{} = {}").format(g, valor_geom)])
        actualizar = sql.SQL("UPDATE {} SET {} WHERE codigo = %s AND version = %s "
                             "RETURNING {}").format(tabla, asignar, k)
        borrar = sql.SQL("DELETE FROM {} WHERE codigo = %s AND version = %s RETURNING {}"
                         ).format(tabla, k)
        insertar = sql.SQL("INSERT INTO {} ({}, version, {}) VALUES ({}, %s, {}) RETURNING {}"
                           ).format(tabla, sql.SQL(", ").join(map(sql.Identifier, columnas)), g,
                                    sql.SQL(", ").join([sql.Placeholder()] * len(columnas)),
                                    valor_geom, k)
        tocados = sorted({p.codigo for p in plan.pasos})
        conflicto = None
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                cur.execute("SELECT set_config(%s, %s, true)", [_GUC, plan.transaccion])
                # Altas: un candado por código (aunque la tabla no tenga UNIQUE en codigo).
                # Filas existentes: bloqueadas en orden de código (sin interbloqueos).
                for cod in tocados:
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                [f"predio:{self.esquema}:{cod}"])
                actuales = dict(cur.execute(
                    sql.SQL("SELECT codigo, version FROM {} WHERE codigo = ANY(%s) "
                            "ORDER BY codigo FOR UPDATE").format(tabla), [tocados]).fetchall())
                for p in plan.pasos:
                    v = actuales.get(p.codigo)
                    if (p.version_antes is None) != (v is None) or (
                            v is not None and v != p.version_antes):
                        conflicto = (p.codigo, p.version_antes, v)
                        raise _Deshacer
                fids: dict[str, int] = {}
                for p in plan.pasos:
                    if p.accion == "alta":
                        fila = cur.execute(insertar, [*self._valores(p.despues, columnas, tipos),
                                                      p.version_despues,
                                                      wkb(p.geom_despues)]).fetchone()
                    elif p.accion == "modificacion":
                        fila = cur.execute(actualizar, [*self._valores(p.despues, columnas,
                                                                       tipos),
                                                        wkb(p.geom_despues), p.codigo,
                                                        p.version_antes]).fetchone()
                    else:
                        fila = cur.execute(borrar, [p.codigo, p.version_antes]).fetchone()
                    if fila is None:  # otra escritura ganó entre el bloqueo y aquí
                        conflicto = (p.codigo, p.version_antes, None)
                        raise _Deshacer
                    fids[p.codigo] = int(fila[0])
                registros = plan.registros(fids)
                if registros:
                    cols = [c for c in COLUMNAS_HISTORIAL if c != "id"]
                    cur.executemany(_insertar(self.esquema, "historial", cols),
                                    [[r[c] for c in cols] for r in registros])
        except _Deshacer:
            pass
        except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected,
                psycopg.errors.SerializationFailure) as e:
            raise self._error_conflicto(tocados[0] if len(tocados) == 1 else
                                        ", ".join(tocados), None, None) from e
        if conflicto is not None:
            cod, esperada, actual = conflicto
            if esperada is not None and actual is None:
                with self.conn.cursor() as cur:
                    fila = cur.execute(sql.SQL("SELECT version FROM {} WHERE codigo = %s"
                                               ).format(tabla), [cod]).fetchone()
                actual = None if fila is None else int(fila[0])
            raise self._error_conflicto(cod, esperada, actual)

    @staticmethod
    def _valores(despues: dict, columnas: list[str], tipos: dict[str, str]) -> list:
        out = []
        for c in columnas:
            v = despues.get(c)
            if v is not None and tipos[c] == "entero":
                v = int(v)
            elif v is not None and tipos[c] == "real":
                v = float(v)
            elif v is not None and tipos[c] == "texto":
                v = str(v)
            out.append(v)
        return out

    def _escribir_frontis(self, registros: list[dict]) -> None:
        if not self._estructura_completa():
            self.asegurar_estructura()
        cols = [c for c in COLUMNAS_FRONTIS if c != "id"]
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(_insertar(self.esquema, "frontis_confirmado", cols),
                            [[r.get(c) for c in cols] for r in registros])


class _Deshacer(Exception):
    """Sale del bloque de la transacción para deshacerla (conflicto de versión)."""


def _insertar(esquema: str, tabla: str, cols: list[str]) -> sql.Composable:
    """``INSERT INTO esquema.tabla (cols) VALUES (%s, …)``."""
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(esquema, tabla), sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join([sql.Placeholder()] * len(cols)))


# ---------------------------------------------------------------------------------------------
# Carga desde un GeoPackage


def copiar_a_postgis(origen, url: str, *, reemplazar: bool = False,
                     config: Config = CONFIG) -> dict[str, int]:
    """Copia un almacén (GeoPackage u otro almacén) a PostGIS: capas, versiones, historial y
    frontis confirmados. Devuelve cuántas filas por tabla.

    Parameters
    ----------
    origen : ruta del GeoPackage (o un :class:`~geo.almacen.base.Almacen` abierto).
    url : ``postgresql://…[?esquema=nombre]``; el esquema se crea si falta.
    reemplazar : si el esquema ya tiene capas del catastro, borrarlas antes (si no, error).

    Las columnas del esquema se convierten a su tipo como en ``catastro validar``; un valor
    inconvertible detiene la copia (corríjalo antes: ``catastro validar``). Las geometrías se
    llevan al CRS métrico de ``config``. Se conservan ``fid`` (el historial lo usa) y
    ``version``. Todo en una transacción: o se copia todo o nada.
    """
    from geo.capas import a_crs_metrico
    from geo.validacion import convertir_columnas

    cerrar = False
    if not isinstance(origen, Almacen):
        from geo.almacen import abrir

        origen, cerrar = abrir(origen, config), True
    try:
        capas = origen._capas_actuales()
        historial = origen._registros_historial()
        frontis = origen._registros_frontis()
        extras = origen._columnas_predios()
    finally:
        if cerrar:
            origen.cerrar()
    _, esquema = separar_url(url)
    s = srid(config)
    cuentas: dict[str, int] = {}
    with conectar(url) as conn:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET LOCAL client_min_messages = warning")
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(esquema)))
            existentes = [n for (n,) in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = ANY(%s)",
                [esquema, [*CAPAS, "historial", "frontis_confirmado"]]).fetchall()]
            if existentes and not reemplazar:
                raise ErrorDatos(
                    f"El esquema '{esquema}' ya tiene las tablas {', '.join(sorted(existentes))}."
                    " Use otro esquema (?esquema=…) o reemplazar=True para borrarlas.",
                    "ESQUEMA_OCUPADO")
            for n in existentes:
                cur.execute(sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(esquema, n)))
            cur.execute(sql.SQL("SELECT set_config({}, 'importacion', true)").format(
                sql.Literal(_GUC)))
            for nombre, gdf in capas.items():
                esquema_capa = CAPAS[nombre]
                tipos = tipos_de_capa(gdf, nombre)
                if nombre == "predios":
                    tipos = {**{c: t for c, t in extras.items() if c in gdf.columns}, **tipos}
                    tipos = {c: tipos[c] for c in [*gdf.columns, *tipos] if c in tipos}
                    tipos["version"] = "entero"
                for orden in ddl_capa(esquema, nombre, tipos, config):
                    cur.execute(orden)
                gdf, problemas = convertir_columnas(gdf, esquema_capa)
                malos = [p for p in problemas if p.codigo == "VALOR_TIPO"]
                if malos:
                    raise ErrorDatos(
                        f"La capa '{nombre}' tiene {len(malos)} valores que no son del tipo de "
                        f"su columna (el primero: {malos[0].elemento}: {malos[0].mensaje}). "
                        "Corríjalos (catastro validar) antes de copiar a PostGIS.", "VALOR_TIPO")
                if len(gdf) and gdf.crs is not None:
                    gdf = a_crs_metrico(gdf, nombre, config)
                fid = pd.Series(np.asarray(gdf.index, dtype=np.int64), index=gdf.index)
                cuentas[nombre] = copiar_filas(
                    cur, sql.Identifier(esquema, nombre), gdf, tipos, "geom", s,
                    extra={"fid": fid.astype(object)})
                cur.execute(sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({}, 'fid'), "
                    "greatest((SELECT max(fid) FROM {}), 0) + 1, false)").format(
                    sql.Literal(f"{esquema}.{nombre}"), sql.Identifier(esquema, nombre)))
            for orden in ddl_control(esquema):
                cur.execute(orden)
            for tabla, registros, columnas in (("historial", historial, COLUMNAS_HISTORIAL),
                                               ("frontis_confirmado", frontis, COLUMNAS_FRONTIS)):
                cols = [c for c in columnas if c != "id"]
                if len(registros):
                    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
                            sql.Identifier(esquema, tabla),
                            sql.SQL(", ").join(map(sql.Identifier, cols)))) as cp:
                        for r in registros.sort_values("id")[cols].itertuples(index=False):
                            cp.write_row([_nulo(v) for v in r])
                cuentas[tabla] = len(registros)
        with conn.cursor() as cur:
            for nombre in capas:
                cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(esquema, nombre)))
    log.info("copiado a PostGIS (%s): %s", esquema, cuentas)
    return cuentas


def _nulo(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        # pandas lleva los enteros con vacíos como float (2.0): COPY a integer no lo acepta
        return int(v) if float(v).is_integer() else float(v)
    return v
