"""Motor GeoPackage del almacén: actualizaciones atómicas y rápidas con sqlite3.

Una actualización es UNA transacción SQLite (``BEGIN IMMEDIATE`` … ``COMMIT``) sobre el
mismo archivo: se escriben solo las filas tocadas, con la geometría como blob GeoPackage
(cabecera ``GP``, versión 0, banderas, srs_id, envolvente xy, WKB ISO), y el historial. El
diario de SQLite (modo ``delete``, el de GDAL) garantiza que si el proceso muere a la mitad
—incluso con SIGKILL— el archivo vuelve a abrirse como estaba antes. Los disparadores que GDAL
pone para el índice espacial (``rtree_<capa>_<geom>``) llaman a ``ST_IsEmpty``, ``ST_MinX``,
``ST_MaxX``, ``ST_MinY`` y ``ST_MaxY``: se registran en nuestra conexión, así el índice queda
coherente y el archivo sigue abriéndose en QGIS/GDAL.

Lo que se agrega al GeoPackage la primera vez que se actualiza (en la misma transacción):
columna ``version`` en ``predios``, índice por ``codigo``, y las tablas de atributos
``historial`` y ``frontis_confirmado`` (registradas en ``gpkg_contents``: QGIS las muestra).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.almacen.base import COLUMNAS_FRONTIS, COLUMNAS_HISTORIAL, Almacen, Plan
from geo.capas import listar_capas
from geo.errores import ErrorLectura

log = logging.getLogger(__name__)

CAPA = "predios"
_TIPOS_SQL = {"TEXT": "texto", "INTEGER": "entero", "INT": "entero", "MEDIUMINT": "entero",
              "SMALLINT": "entero", "TINYINT": "entero", "BOOLEAN": "entero", "REAL": "real",
              "FLOAT": "real", "DOUBLE": "real"}
_ENVOLVENTE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


# ---------------------------------------------------------------------------------------------
# Blobs de geometría GeoPackage (GeoPackage 1.2, §2.1.3)


def a_blob(geom, srs_id: int) -> bytes | None:
    """Geometría shapely → blob GeoPackage (little-endian, envolvente xy, WKB ISO 2D)."""
    if geom is None or shapely.is_missing(geom):
        return None
    cuerpo = shapely.to_wkb(geom, flavor="iso", output_dimension=2, byte_order=1)
    if shapely.is_empty(geom):
        return b"GP" + struct.pack("<BBi", 0, 0x10 | 0x01, srs_id) + cuerpo
    x0, y0, x1, y1 = shapely.bounds(geom)
    return b"GP" + struct.pack("<BBi4d", 0, 0x02 | 0x01, srs_id, x0, x1, y0, y1) + cuerpo


def _cabecera(blob: bytes) -> tuple[int, int, bool]:
    """(banderas, largo de la cabecera, vacía)."""
    banderas = blob[3]
    return banderas, 8 + _ENVOLVENTE.get((banderas >> 1) & 0x07, 0), bool(banderas & 0x10)


def de_blob(blob) -> object:
    """Blob GeoPackage → geometría shapely (None si no hay)."""
    if blob is None:
        return None
    blob = bytes(blob)
    _, largo, _ = _cabecera(blob)
    return shapely.from_wkb(blob[largo:])


def _envolvente(blob) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) de la cabecera o, si no la trae, del WKB."""
    if blob is None:
        return None
    blob = bytes(blob)
    banderas, largo, vacia = _cabecera(blob)
    if vacia:
        return None
    if largo >= 40:
        orden = "<" if banderas & 0x01 else ">"
        return struct.unpack(orden + "4d", blob[8:40])
    g = shapely.from_wkb(blob[largo:])
    if g is None or g.is_empty:
        return None
    x0, y0, x1, y1 = g.bounds
    return x0, x1, y0, y1


def _st(i):
    def f(blob):
        e = _envolvente(blob)
        return None if e is None else e[i]
    return f


def _st_isempty(blob):
    if blob is None:
        return None
    blob = bytes(blob)
    if _cabecera(blob)[2]:
        return 1
    return 1 if _envolvente(blob) is None else 0


def conectar(ruta: Path, solo_lectura: bool = False) -> sqlite3.Connection:
    """Conexión con las funciones SQL que necesitan los disparadores del índice espacial."""
    # Sin mode=ro a propósito: si un proceso murió a mitad de una transacción queda un diario
    # "caliente" que solo una conexión de escritura puede deshacer (lo hace sola al leer).
    con = sqlite3.connect(ruta, isolation_level=None, timeout=30)
    con.create_function("ST_IsEmpty", 1, _st_isempty, deterministic=True)
    for i, nombre in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(nombre, 1, _st(i), deterministic=True)
    return con


def recuperar(ruta: str | Path) -> None:
    """Deshace una transacción interrumpida (diario caliente) para que GDAL, que abre en solo
    lectura, pueda leer el archivo. Si no hay nada que deshacer, no cambia nada."""
    try:
        with contextlib.closing(conectar(Path(ruta))) as con:
            con.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as e:
        raise ErrorLectura(f"No se pudo abrir {Path(ruta).name} ({e}).",
                           "ARCHIVO_ILEGIBLE") from e


# ---------------------------------------------------------------------------------------------


class AlmacenGPKG(Almacen):
    """Almacén en un archivo GeoPackage."""

    def __init__(self, ruta: str | Path):
        self.ruta = Path(ruta)
        if not self.ruta.exists():
            raise ErrorLectura(f"No existe el almacén {self.ruta}. Revise la ruta.",
                               "ARCHIVO_NO_EXISTE")
        self._meta: dict | None = None
        if Path(f"{self.ruta}-journal").exists():
            recuperar(self.ruta)

    @property
    def nombre(self) -> str:
        return str(self.ruta)

    # ------------------------------------------------------------------ metadatos

    def _leer_meta(self) -> dict:
        # otro proceso pudo cambiar la tabla (columna version): se relee si cambió el archivo
        sello = os.stat(self.ruta).st_mtime_ns
        if self._meta is not None and self._meta["sello"] == sello:
            return self._meta
        try:
            with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
                fila = con.execute(
                    "select column_name, srs_id, geometry_type_name from gpkg_geometry_columns "
                    "where lower(table_name) = lower(?)", (CAPA,)).fetchone()
                if fila is None:
                    raise ErrorLectura(f"{self.ruta.name} no tiene la capa 'predios'. Impórtela "
                                       "con 'catastro importar … --capa predios'.",
                                       "CAPA_FALTANTE")
                info = con.execute(f'pragma table_info("{CAPA}")').fetchall()
                rtree = con.execute(
                    "select 1 from sqlite_master where name = ?",
                    (f"rtree_{CAPA}_{fila[0]}",)).fetchone() is not None
                tablas = {r[0] for r in con.execute(
                    "select name from sqlite_master where type = 'table'")}
        except sqlite3.DatabaseError as e:
            raise ErrorLectura(f"No se pudo abrir {self.ruta.name} como GeoPackage ({e}).",
                               "ARCHIVO_ILEGIBLE") from e
        geom, srs_id, tipo_geom = fila
        pk = next((r[1] for r in info if r[5]), "fid")
        columnas = {}
        for r in info:
            if r[1] in (pk, geom, "version"):
                continue
            base = (r[2] or "TEXT").upper().split("(")[0].strip()
            columnas[r[1]] = _TIPOS_SQL.get(base, "texto")
        self._meta = {
            "sello": sello, "geom": geom, "srs_id": int(srs_id), "pk": pk, "columnas": columnas,
            "version": any(r[1] == "version" for r in info), "rtree": rtree,
            "tipo_geom": tipo_geom, "historial": "historial" in tablas,
            "frontis": "frontis_confirmado" in tablas,
        }
        return self._meta

    @property
    def crs(self):
        if "crs" not in self.__dict__:
            self.__dict__["crs"] = self._leer_crs(self._leer_meta()["srs_id"])
        return self.__dict__["crs"]

    def _leer_crs(self, srs: int):
        try:
            with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
                org = con.execute("select organization, organization_coordsys_id, definition "
                                  "from gpkg_spatial_ref_sys where srs_id = ?", (srs,)).fetchone()
        except sqlite3.DatabaseError:
            org = None
        if org is None or srs <= 0:
            return None
        if str(org[0]).upper() == "EPSG":
            return CRS.from_epsg(int(org[1]))
        return CRS.from_wkt(org[2])

    def _columnas_predios(self) -> dict[str, str]:
        return dict(self._leer_meta()["columnas"])

    # ------------------------------------------------------------------ lectura

    def _capas_actuales(self, nombres=None) -> dict[str, gpd.GeoDataFrame]:
        from geo.derivaciones import hay_pyarrow
        from geo.esquema import CAPAS

        presentes = listar_capas(self.ruta)
        nombres = [n for n in (nombres or [n for n in CAPAS]) if n in presentes]
        capas = {}
        for n in nombres:
            try:
                gdf = pyogrio.read_dataframe(self.ruta, layer=n, fid_as_index=(n == CAPA),
                                             use_arrow=hay_pyarrow())
            except Exception:  # noqa: BLE001 - sin Arrow, o un valor raro: lectura normal
                try:
                    gdf = pyogrio.read_dataframe(self.ruta, layer=n, fid_as_index=(n == CAPA))
                except Exception as e:
                    raise ErrorLectura(f"No se pudo leer la capa '{n}' de {self.ruta.name} "
                                       f"({str(e)[:150]}). Ejecute 'catastro validar'.",
                                       "CAPA_ILEGIBLE") from e
            if n == CAPA:
                gdf.index = gdf.index.astype("int64")
                gdf.index.name = "fid"
                if "version" not in gdf.columns:
                    gdf["version"] = 1
            capas[n] = gdf
        return capas

    def _leer_sql(self, donde: str, params: tuple = ()) -> gpd.GeoDataFrame:
        m = self._leer_meta()
        cols = list(m["columnas"])
        version = '"version"' if m["version"] else "1"
        sel = ", ".join(f'"{c}"' for c in cols)
        sql = (f'select "{m["pk"]}", "{m["geom"]}", {sel}, {version} from "{CAPA}" '
               f"where {donde}")
        with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
            filas = con.execute(sql, params).fetchall()
        fids = [f[0] for f in filas]
        geoms = [de_blob(f[1]) for f in filas]
        datos = pd.DataFrame([f[2:] for f in filas], columns=[*cols, "version"])
        gdf = gpd.GeoDataFrame(datos, geometry=geoms, crs=self.crs)
        gdf.index = pd.Index(fids, dtype="int64", name="fid")
        return gdf

    def _distrito(self) -> gpd.GeoDataFrame | None:
        # por SQL: abrir el archivo con GDAL cuesta medio segundo en un distrito grande
        try:
            with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
                fila = con.execute("select column_name, srs_id from gpkg_geometry_columns "
                                   "where lower(table_name) = 'distrito'").fetchone()
                if fila is None:
                    return None
                blobs = [r[0] for r in con.execute(f'select "{fila[0]}" from distrito')]
        except sqlite3.DatabaseError:
            return super()._distrito()
        crs = self.crs if int(fila[1]) == self._leer_meta()["srs_id"] else self._leer_crs(fila[1])
        return gpd.GeoDataFrame(geometry=[de_blob(b) for b in blobs], crs=crs)

    def _predios_por_codigo(self, codigos: list[str]) -> gpd.GeoDataFrame:
        codigos = list(codigos)
        if not codigos:
            return self._leer_sql("0")
        partes = [self._leer_sql(f'"codigo" in ({",".join("?" * len(t))})', tuple(t))
                  for t in (codigos[i:i + 500] for i in range(0, len(codigos), 500))]
        return pd.concat(partes) if len(partes) > 1 else partes[0]

    def _predios_en_caja(self, caja) -> gpd.GeoDataFrame:
        x0, y0, x1, y1 = caja
        m = self._leer_meta()
        if m["rtree"]:
            return self._leer_sql(
                f'"{m["pk"]}" in (select id from "rtree_{CAPA}_{m["geom"]}" where minx <= ? and '
                "maxx >= ? and miny <= ? and maxy >= ?)", (x1, x0, y1, y0))
        gdf = self._leer_sql("1")
        return gdf[gdf.geometry.intersects(shapely.box(x0, y0, x1, y1))]

    def _tabla(self, sql: str, params: tuple, columnas) -> pd.DataFrame:
        with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
            filas = con.execute(sql, params).fetchall()
        return pd.DataFrame(filas, columns=list(columnas))

    def _registros_historial(self, codigos=None, desde=None) -> pd.DataFrame:
        if not self._hay_tabla("historial"):
            return pd.DataFrame(columns=list(COLUMNAS_HISTORIAL))
        cols = ", ".join(COLUMNAS_HISTORIAL)
        condiciones, params = [], []
        if desde is not None:
            condiciones.append("instante >= ?")
            params.append(desde)
        if codigos is not None:
            codigos = list(codigos)
            if not codigos:
                return pd.DataFrame(columns=list(COLUMNAS_HISTORIAL))
            condiciones.append(f"codigo in ({','.join('?' * len(codigos))})")
            params += codigos
        donde = " and ".join(condiciones) or "1"
        return self._tabla(f"select {cols} from historial where {donde} order by id",
                           tuple(params), COLUMNAS_HISTORIAL)

    def _ultimo_instante(self) -> str | None:
        if not self._hay_tabla("historial"):
            return None
        with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
            return con.execute("select max(instante) from historial").fetchone()[0]

    def _registros_frontis(self, hasta=None) -> pd.DataFrame:
        if not self._hay_tabla("frontis_confirmado"):
            return pd.DataFrame(columns=list(COLUMNAS_FRONTIS))
        cols = ", ".join(COLUMNAS_FRONTIS)
        if hasta is None:
            return self._tabla(f"select {cols} from frontis_confirmado order by id", (),
                               COLUMNAS_FRONTIS)
        return self._tabla(f"select {cols} from frontis_confirmado where instante < ? "
                           "order by id", (hasta,), COLUMNAS_FRONTIS)

    def _hay_tabla(self, nombre: str) -> bool:
        with contextlib.closing(conectar(self.ruta, solo_lectura=True)) as con:
            return con.execute("select 1 from sqlite_master where type = 'table' and name = ?",
                               (nombre,)).fetchone() is not None

    # ------------------------------------------------------------------ escritura

    @contextlib.contextmanager
    def _transaccion(self):
        con = conectar(self.ruta)
        try:
            con.execute("begin immediate")  # toma el bloqueo de escritura ya
            try:
                _preparar(con, self._leer_meta())
                yield con
                con.execute("commit")
            except BaseException:
                if con.in_transaction:
                    con.execute("rollback")
                raise
        except sqlite3.OperationalError as e:
            if "locked" in str(e):
                raise ErrorLectura(f"{self.ruta.name} está ocupado por otro proceso (¿QGIS "
                                   "editando?). Cierre la edición y vuelva a intentarlo.",
                                   "ALMACEN_OCUPADO") from e
            raise
        finally:
            con.close()
            self._meta = None  # la tabla pudo cambiar (columna version, tablas nuevas)

    def _escribir_plan(self, plan: Plan) -> None:
        try:
            self._escribir(plan)
        except _Conflicto as c:
            # el mensaje lee el historial: se arma ya sin el bloqueo de escritura
            raise self._error_conflicto(*c.args) from None

    def _escribir(self, plan: Plan) -> None:
        m = self._leer_meta()
        pk, gcol, srs = m["pk"], m["geom"], m["srs_id"]
        cols = list(m["columnas"])
        with self._transaccion() as con:
            fids: dict[str, int] = {}
            cajas = []
            multi = False
            for p in plan.pasos:
                fila = con.execute(f'select "{pk}", "version" from "{CAPA}" where "codigo" = ?',
                                   (p.codigo,)).fetchone()
                actual = None if fila is None else int(fila[1] if fila[1] is not None else 1)
                if actual != p.version_antes:
                    raise _Conflicto(p.codigo, p.version_antes, actual)
                if p.accion == "baja":
                    fids[p.codigo] = fila[0]
                    con.execute(f'delete from "{CAPA}" where "{pk}" = ?', (fila[0],))
                    continue
                blob = a_blob(p.geom_despues, srs)
                if p.geom_despues is not None and p.geom_despues.geom_type.startswith("Multi"):
                    multi = True
                valores = [p.despues.get(c) for c in cols]
                if p.accion == "alta":
                    nombres = ", ".join(f'"{c}"' for c in [gcol, *cols, "version"])
                    cur = con.execute(
                        f'insert into "{CAPA}" ({nombres}) values '
                        f'({",".join("?" * (len(cols) + 2))})',
                        [blob, *valores, p.version_despues])
                    fids[p.codigo] = cur.lastrowid
                else:
                    asignar = ", ".join(f'"{c}" = ?' for c in [gcol, *cols, "version"])
                    con.execute(f'update "{CAPA}" set {asignar} where "{pk}" = ?',
                                [blob, *valores, p.version_despues, fila[0]])
                    fids[p.codigo] = fila[0]
                if p.geom_despues is not None and not p.geom_despues.is_empty:
                    cajas.append(p.geom_despues.bounds)
            registros = plan.registros(fids)
            if registros:
                nombres = [c for c in COLUMNAS_HISTORIAL if c != "id"]
                con.executemany(
                    f"insert into historial ({', '.join(nombres)}) values "
                    f"({','.join('?' * len(nombres))})",
                    [[r[c] for c in nombres] for r in registros])
            _actualizar_contenido(con, cajas, multi, m, plan.instante)

    def _escribir_frontis(self, registros: list[dict]) -> None:
        nombres = [c for c in COLUMNAS_FRONTIS if c != "id"]
        with self._transaccion() as con:
            con.executemany(
                f"insert into frontis_confirmado ({', '.join(nombres)}) values "
                f"({','.join('?' * len(nombres))})", [[r.get(c) for c in nombres]
                                                      for r in registros])
            con.execute("update gpkg_contents set last_change = ? where table_name = ?",
                        (registros[0]["instante"][:23] + "Z" if registros else None,
                         "frontis_confirmado"))


class _Conflicto(Exception):
    """Interno: deshace la transacción; tras el rollback se convierte en ErrorConflicto."""


# ---------------------------------------------------------------------------------------------
# Esquema: lo que se agrega la primera vez


_SQL_HISTORIAL = """
create table if not exists historial (
    id integer primary key autoincrement not null,
    transaccion text not null,
    instante text not null,
    usuario text not null,
    expediente text not null,
    motivo text,
    operacion text not null,
    accion text not null,
    codigo text not null,
    origen text,
    version_antes integer,
    version_despues integer,
    fid integer,
    antes text,
    despues text,
    geom_antes blob,
    geom_despues blob
)"""
_SQL_FRONTIS = """
create table if not exists frontis_confirmado (
    id integer primary key autoincrement not null,
    codigo text not null,
    frontis_m real not null,
    frontis_derivado_m real,
    usuario text not null,
    instante text not null,
    observacion text,
    expediente text,
    version_predio integer
)"""


def _preparar(con: sqlite3.Connection, meta: dict) -> None:
    """Crea lo que falte (dentro de la transacción abierta): todo o nada con el cambio."""
    info = con.execute(f'pragma table_info("{CAPA}")').fetchall()
    if not any(r[1] == "version" for r in info):
        con.execute(f'alter table "{CAPA}" add column "version" integer not null default 1')
    con.execute(f'create index if not exists "idx_{CAPA}_codigo" on "{CAPA}" ("codigo")')
    for tabla, sql, descripcion in (
            ("historial", _SQL_HISTORIAL, "Historial de cambios de predios (catastro)"),
            ("frontis_confirmado", _SQL_FRONTIS, "Frontis confirmados en campo")):
        con.execute(sql)
        con.execute(
            "insert or ignore into gpkg_contents (table_name, data_type, identifier, "
            "description, last_change) values (?, 'attributes', ?, ?, "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'))", (tabla, tabla, descripcion))
    con.execute("create index if not exists idx_historial_codigo on historial (codigo)")
    con.execute("create index if not exists idx_historial_instante on historial (instante)")
    con.execute("create index if not exists idx_frontis_codigo on frontis_confirmado (codigo)")


def _actualizar_contenido(con, cajas, multi: bool, meta: dict, instante: str) -> None:
    """Extensión y fecha de la capa en ``gpkg_contents`` (QGIS las usa para el zoom)."""
    fila = con.execute("select min_x, min_y, max_x, max_y from gpkg_contents "
                       "where lower(table_name) = lower(?)", (CAPA,)).fetchone()
    if cajas:
        c = np.asarray(cajas)
        x0, y0 = c[:, 0].min(), c[:, 1].min()
        x1, y1 = c[:, 2].max(), c[:, 3].max()
        if fila and None not in fila:
            x0, y0 = min(x0, fila[0]), min(y0, fila[1])
            x1, y1 = max(x1, fila[2]), max(y1, fila[3])
        con.execute("update gpkg_contents set min_x = ?, min_y = ?, max_x = ?, max_y = ? "
                    "where lower(table_name) = lower(?)", (x0, y0, x1, y1, CAPA))
    con.execute("update gpkg_contents set last_change = ? where lower(table_name) = lower(?)",
                (instante[:23] + "Z", CAPA))
    if multi and str(meta["tipo_geom"]).upper() == "POLYGON":
        # un predio multiparte en una capa declarada POLYGON: se declara MULTIPOLYGON
        con.execute("update gpkg_geometry_columns set geometry_type_name = 'MULTIPOLYGON' "
                    "where lower(table_name) = lower(?)", (CAPA,))
