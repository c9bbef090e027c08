"""Lectura y escritura del almacén de capas (un GeoPackage en CRS métrico).

Toda escritura es atómica: se escribe un archivo temporal junto al destino y se renombra al
final, de modo que un fallo a mitad nunca deja un archivo a medio escribir.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import tempfile
from pathlib import Path
from typing import Iterator, Mapping

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo._escritor import OPCIONES_SQLITE_TEMPORAL
from geo.config import CONFIG, Config
from geo.errores import ErrorCRS, ErrorEscritura, ErrorLectura, motivo_sistema
from geo.memoria import devolver_memoria_libre
from geo.paralelo import en_bloques

log = logging.getLogger(__name__)


def listar_capas(ruta: str | os.PathLike) -> list[str]:
    """Nombres de las capas de un GeoPackage (u otra fuente OGR)."""
    ruta = Path(ruta)
    if not ruta.exists():
        raise ErrorLectura(f"No existe el archivo {ruta}. Revise la ruta.", "ARCHIVO_NO_EXISTE")
    try:
        return [str(n) for n, _ in pyogrio.list_layers(ruta)]
    except Exception as e:  # GDAL dice poco y en inglés: lo traducimos a algo útil
        raise ErrorLectura(
            f"No se pudo abrir {ruta.name}: el archivo está dañado o no es un formato "
            f"geoespacial reconocido ({_motivo(e)}). Vuelva a exportarlo desde su SIG.",
            "ARCHIVO_ILEGIBLE",
        ) from e


def leer_capa(ruta: str | os.PathLike, capa: str) -> gpd.GeoDataFrame:
    """Lee una capa tal cual está guardada (sin reproyectar)."""
    ruta = Path(ruta)
    if capa not in listar_capas(ruta):
        raise ErrorLectura(f"El archivo {ruta.name} no tiene la capa '{capa}'.", "CAPA_FALTANTE")
    try:
        return gpd.read_file(ruta, layer=capa, engine="pyogrio")
    except Exception as e:
        raise ErrorLectura(
            f"No se pudo leer la capa '{capa}' de {ruta.name} ({_motivo(e)}). "
            "Ejecute 'catastro validar' para ver qué elemento está dañado.",
            "CAPA_ILEGIBLE",
        ) from e


def leer_capas(
    ruta: str | os.PathLike, nombres: list[str] | None = None, config: Config = CONFIG
) -> dict[str, gpd.GeoDataFrame]:
    """Lee las capas pedidas (o todas) y las lleva al CRS métrico de ``config``.

    Las capas ausentes no se incluyen; quien las necesite debe comprobarlo.
    """
    presentes = listar_capas(ruta)
    nombres = presentes if nombres is None else [n for n in nombres if n in presentes]
    return {n: a_crs_metrico(leer_capa(ruta, n), n, config) for n in nombres}


def a_crs_metrico(gdf: gpd.GeoDataFrame, capa: str, config: Config = CONFIG) -> gpd.GeoDataFrame:
    """Devuelve la capa en el CRS métrico de ``config`` (metros). Rechaza capas sin CRS."""
    if gdf.crs is None:
        raise ErrorCRS(
            f"La capa '{capa}' no tiene sistema de referencia (CRS). Indíquelo al importarla "
            "con --crs EPSG:XXXX (p. ej. EPSG:32718 para UTM 18S, EPSG:24878 para PSAD56).",
            "CRS_AUSENTE",
        )
    if gdf.crs != config.crs_metrico:
        log.info("capa %s: reproyectada de %s a %s", capa, gdf.crs.to_string(),
                 config.crs_metrico)
        gdf = gdf.to_crs(config.crs_metrico)
    return gdf


def exigir_metrico(gdf: gpd.GeoDataFrame, capa: str) -> None:
    """Las funciones que miden llaman a esto: CRS presente y proyectado en metros."""
    if gdf.crs is None:
        raise ErrorCRS(f"La capa '{capa}' no tiene CRS: no se puede medir.", "CRS_AUSENTE")
    if gdf.crs.is_geographic:
        raise ErrorCRS(
            f"La capa '{capa}' está en coordenadas geográficas ({gdf.crs.to_string()}): "
            "no se mide en grados. Reproyecte a un CRS métrico (EPSG:32718).",
            "CRS_GEOGRAFICO",
        )


@contextlib.contextmanager
def archivo_atomico(destino: str | os.PathLike, sufijo: str | None = None) -> Iterator[Path]:
    """Da una ruta temporal junto a ``destino``; al salir sin error la renombra a ``destino``.

    Si algo falla, el temporal se borra y ``destino`` queda como estaba.
    """
    destino = Path(destino)
    if destino.is_dir():  # se sabe ya, no después de calcular todo
        raise _error_escritura(destino, IsADirectoryError(errno.EISDIR, "", str(destino)))
    try:
        destino.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{destino.stem}.", suffix=sufijo or destino.suffix, dir=destino.parent
        )
    except OSError as e:
        raise _error_escritura(destino, e) from e
    os.close(fd)
    os.unlink(tmp)  # GDAL quiere crear el archivo él mismo
    tmp = Path(tmp)
    try:
        yield tmp
        viejo = None
        try:
            a_disco(tmp)
            viejo = _enlace_al_anterior(destino)
            os.replace(tmp, destino)
        except OSError as e:
            if viejo is not None:  # destino sigue siendo el anterior: el enlace sobra
                with contextlib.suppress(OSError):
                    viejo.unlink()
            raise _error_escritura(destino, e) from e
        if viejo is not None:
            _borrar_en_otro_proceso(viejo)
    finally:
        for resto in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                resto.unlink()


TAMANO_PARA_BORRAR_APARTE = 32 * 1024 * 1024
"""Desde qué tamaño (bytes) :func:`archivo_atomico` libera en otro proceso el archivo que
reemplaza (ver :func:`_enlace_al_anterior`)."""


def _enlace_al_anterior(destino: Path) -> Path | None:
    """Un enlace duro, oculto, al ``destino`` que se va a reemplazar, si es grande.

    Reemplazar un archivo libera sus bloques dentro del mismo ``rename``: con el GeoPackage
    de derivados de un millón de predios (750 MB), 0,4 s si ya estaba en el disco y 1,3 s si
    aún estaba en memoria. Con otro enlace, el ``rename`` solo le quita un nombre y vuelve en
    seguida; los bloques se liberan al borrar el enlace, en otro proceso
    (:func:`_borrar_en_otro_proceso`). Sin enlaces duros (p. ej. una memoria USB en FAT),
    ``None``: se reemplaza como siempre.
    """
    try:
        if destino.stat().st_size < TAMANO_PARA_BORRAR_APARTE:
            return None
        enlace = destino.with_name(f".{destino.name}.{os.getpid()}.anterior")
        with contextlib.suppress(FileNotFoundError):
            enlace.unlink()  # de una corrida cortada con el mismo pid
        os.link(destino, enlace)
        return enlace
    except OSError:
        return None


def _borrar_en_otro_proceso(ruta: Path) -> None:
    """Borra ``ruta`` en un proceso aparte, que sigue aunque este termine; si no se puede
    lanzar, la borra aquí."""
    import subprocess
    import sys

    try:
        subprocess.Popen([sys.executable, "-c", "import os, sys; os.unlink(sys.argv[1])",
                          str(ruta)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        with contextlib.suppress(OSError):
            ruta.unlink()


def _error_escritura(destino: Path, e: OSError) -> ErrorEscritura:
    """El error del sistema al crear o publicar ``destino``, explicado."""
    return ErrorEscritura(
        f"No se pudo escribir {destino}: {motivo_sistema(e)}. Elija otra carpeta o nombre "
        "(p. ej. con --salida) o revise los permisos; no se escribió nada a medias.",
        "SALIDA_NO_ESCRIBIBLE")


def a_disco(ruta: Path) -> None:
    """Baja el archivo al disco antes de renombrarlo: tras un corte de luz, ``destino`` es el
    archivo viejo o el nuevo entero (SQLite escribe el temporal sin sincronizar, ver
    :func:`sqlite_temporal`)."""
    if not ruta.is_file():
        return
    fd = os.open(ruta, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def sqlite_temporal() -> Iterator[None]:
    """GDAL escribe GeoPackage con :data:`geo._escritor.OPCIONES_SQLITE_TEMPORAL` dentro del
    bloque: sin sincronizar cada transacción y con páginas de 32 KiB.

    Solo para archivos temporales de :func:`archivo_atomico`: si el proceso se corta, el
    temporal se descarta; al terminar, :func:`a_disco` lo sincroniza una vez antes de
    renombrarlo, en vez de que SQLite espere al disco en cada transacción.
    """
    previas = {k: pyogrio.get_gdal_config_option(k) for k in OPCIONES_SQLITE_TEMPORAL}
    pyogrio.set_gdal_config_options(OPCIONES_SQLITE_TEMPORAL)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previas)


_TABLAS_GPKG_POR_CAPA = ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions",
                         "gpkg_ogr_contents")
"""Tablas de metadatos de GeoPackage (y de GDAL) con filas por capa (``table_name``)."""

_SIN_LISTAR = ("gdal_aspatial", "http://gdal.org/geopackage_aspatial.html", "read-write")
"""Extensión de GDAL que, presente en ``gpkg_extensions``, hace que GDAL liste solo las
tablas registradas en ``gpkg_contents`` (``LIST_ALL_TABLES=AUTO``)."""


@contextlib.contextmanager
def como_primera_capa(ruta: str | os.PathLike, ya_escritas: list[str]) -> Iterator[None]:
    """Dentro del bloque, GDAL no ve las capas ``ya_escritas`` de ``ruta`` (un temporal de
    :func:`archivo_atomico`): la capa que se escriba es, para él, la primera del archivo.

    GDAL arma el índice espacial (R-tree) de la primera capa de un archivo en otro hilo,
    mientras escribe las filas; en una capa que se agrega a un archivo con otras, lo arma al
    final, en el mismo hilo. Con un millón de predios escritos después de ``frentes``:
    8,1–8,3 s así, 7,1–7,3 s dentro de este bloque.

    Se sacan de los metadatos las filas de esas capas (``gpkg_contents`` y las demás de
    :data:`_TABLAS_GPKG_POR_CAPA`; las tablas y sus índices no se tocan) y se marca el
    archivo con la extensión ``gdal_aspatial`` para que GDAL no liste tablas sin registrar.
    Al salir sin error, todo vuelve como estaba; si hubo un error, el temporal se descarta
    igual. Si GDAL cambiara de criterio, la escritura solo sería más lenta.
    """
    ruta = Path(ruta)
    if not ruta.is_file() or not ya_escritas:
        yield
        return
    marcas = ", ".join("?" * len(ya_escritas))
    with _transaccion(ruta) as con:
        presentes = {n for (n,) in con.execute("SELECT name FROM sqlite_master")}
        tablas = [t for t in _TABLAS_GPKG_POR_CAPA if t in presentes]
        guardadas = {t: con.execute(f"SELECT * FROM {t} WHERE table_name IN ({marcas})",
                                    ya_escritas).fetchall() for t in tablas}
        for tabla in tablas:
            con.execute(f"DELETE FROM {tabla} WHERE table_name IN ({marcas})", ya_escritas)
        # sin gpkg_extensions no se marca: GDAL vería la tabla, y solo sería más lento
        marcar = "gpkg_extensions" in presentes and con.execute(
            "SELECT 1 FROM gpkg_extensions WHERE extension_name = ?",
            _SIN_LISTAR[:1]).fetchone() is None
        if marcar:
            con.execute("INSERT INTO gpkg_extensions VALUES (NULL, NULL, ?, ?, ?)", _SIN_LISTAR)
    yield
    with _transaccion(ruta) as con:
        if marcar:
            con.execute("DELETE FROM gpkg_extensions WHERE table_name IS NULL AND "
                        "extension_name = ?", _SIN_LISTAR[:1])
        for tabla, filas in guardadas.items():
            if filas:
                con.executemany(f"INSERT INTO {tabla} VALUES ({', '.join('?' * len(filas[0]))})",
                                filas)


@contextlib.contextmanager
def _transaccion(ruta: Path):
    """Una conexión de SQLite a ``ruta`` (un temporal: sin sincronizar) con una transacción
    que se confirma al salir sin error."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(ruta, isolation_level=None)) as con:
        con.execute("PRAGMA synchronous = OFF")  # el temporal se sincroniza al final
        con.execute("BEGIN IMMEDIATE")
        yield con
        con.execute("COMMIT")


def escribir_capas(capas: Mapping[str, gpd.GeoDataFrame], destino: str | os.PathLike) -> Path:
    """Escribe varias capas en un GeoPackage nuevo, de forma atómica.

    Un DataFrame sin geometría se escribe como tabla sin geometría (se abre igual en QGIS).
    """
    destino = Path(destino)
    with archivo_atomico(destino) as tmp:
        for nombre, gdf in capas.items():
            if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
                gdf.to_file(tmp, layer=nombre, driver="GPKG", engine="pyogrio")
            else:
                pyogrio.write_dataframe(gdf, tmp, layer=nombre, driver="GPKG")
    return destino


# tipo simple (id de shapely) → (tipo multi, id del tipo multi en WKB)
_MULTI = {0: ("MultiPoint", 4), 1: ("MultiLineString", 5), 3: ("MultiPolygon", 6)}


def escribir_capa_gpkg(gdf: gpd.GeoDataFrame, ruta: str | os.PathLike, capa: str,
                       agregar: bool = False) -> None:
    """Agrega ``capa`` a un GeoPackage, con un solo tipo de geometría, multi (MultiPolygon,
    MultiLineString, MultiPoint), para que se abra tal cual en QGIS y admita después partes
    múltiples. Con ``agregar``, las filas van al final de esa capa, que ya existe.

    Es lo mismo que ``pyogrio.write_dataframe(..., promote_to_multi=True, use_arrow=True)``
    (mismo archivo al leerlo) sin crear una geometría multi de shapely por fila (ver
    :func:`_wkb_multi`; con un millón de predios, 2 s menos). Sin pyarrow, o con tipos que no
    se dejan promover (p. ej. polígonos y líneas juntos), usa el camino de pyogrio.
    """
    escribir_preparada(preparar_capa(gdf), ruta, capa, agregar)


def preparar_capa(gdf: gpd.GeoDataFrame):
    """La primera mitad de :func:`escribir_capa_gpkg`, sin tocar el archivo: la conversión a
    Arrow (~1,5 s con un millón de predios), para hacerla mientras se espera otra cosa.
    Se escribe con :func:`escribir_preparada`."""
    return gdf, _tabla_arrow(gdf)


def escribir_preparada(preparada, ruta: str | os.PathLike, capa: str,
                       agregar: bool = False) -> None:
    """Escribe en ``ruta`` lo que dio :func:`preparar_capa` (al final de ``capa``, si
    ``agregar``)."""
    gdf, arrow = preparada
    if arrow is None:
        pyogrio.write_dataframe(gdf, ruta, layer=capa, driver="GPKG", promote_to_multi=True,
                                append=agregar)
        return
    tabla, tipo, crs = arrow
    pyogrio.write_arrow(tabla, ruta, layer=capa, driver="GPKG", geometry_name="geometry",
                        geometry_type=tipo, crs=crs, append=agregar)


def _tabla_arrow(gdf: gpd.GeoDataFrame):
    """``(tabla Arrow con la geometría en WKB multi, tipo de geometría, CRS)`` para
    ``pyogrio.write_arrow``, o ``None`` si no se puede (sin pyarrow, tipos mezclados, 3D)."""
    partes = _partes_arrow(gdf)
    if partes is None:
        return None
    atributos, geom, tipo, crs = partes
    return atributos.append_column("geometry", _wkb_multi(geom)), tipo, crs


def _partes_arrow(gdf: gpd.GeoDataFrame):
    """``(atributos en Arrow, geometrías, tipo de geometría multi, CRS)``: todo lo de
    :func:`_tabla_arrow` menos el WKB, que se puede armar por tramos de filas; ``None`` si la
    capa no pasa por Arrow."""
    import importlib.util

    geom = gdf.geometry.to_numpy()
    tipos = np.unique(shapely.get_type_id(geom[~shapely.is_missing(geom)]))
    multi_de_id = {i: nombre for nombre, i in _MULTI.values()}  # 4 → "MultiPoint", …
    simples = [t for t in tipos if t in _MULTI]
    multis = {_MULTI[t][1] for t in simples}
    destino = None
    if len(simples) == 1 and set(tipos) <= {simples[0], *multis}:
        destino = _MULTI[simples[0]][0]
    elif len(tipos) == 1 and int(tipos[0]) in multi_de_id:
        destino = multi_de_id[int(tipos[0])]
    if (destino is None or importlib.util.find_spec("pyarrow") is None
            or shapely.has_z(geom).any()):
        return None
    import pandas as pd
    import pyarrow as pa

    atributos = pd.DataFrame(gdf.drop(columns=gdf.geometry.name), copy=False)
    tabla = pa.Table.from_pandas(atributos, preserve_index=False)
    for i, campo in enumerate(tabla.schema):
        if pa.types.is_null(campo.type):  # columna toda vacía: GDAL no sabe qué campo crear
            tabla = tabla.set_column(i, campo.name, pa.nulls(len(tabla), pa.string()))
    epsg = gdf.crs.to_epsg() if gdf.crs else None
    crs = f"EPSG:{epsg}" if epsg else (gdf.crs.to_wkt("WKT1_GDAL") if gdf.crs else None)
    return tabla, geom, destino, crs


class SinArrow(ValueError):
    """Una capa que no se puede pasar por Arrow (sin pyarrow, tipos mezclados, 3D): quien la
    quería escribir aparte la escribe por el camino normal."""


FILAS_POR_LOTE = 100_000
"""Filas por lote que :class:`EscrituraAparte` manda al proceso escritor."""


class EscrituraAparte:
    """Escribe una capa en un GeoPackage desde otro proceso, mientras este sigue trabajando.

    GDAL retiene el GIL mientras escribe, así que un hilo no dejaría avanzar al resto; otro
    proceso sí. :mod:`geo._escritor` recibe la capa por su entrada estándar, como flujo Arrow
    (IPC) en lotes de :data:`FILAS_POR_LOTE` filas, y la escribe con ``pyogrio.write_arrow``
    a medida que llegan: el mismo resultado que :func:`escribir_capa_gpkg`. Mientras tanto
    nadie más debe escribir en ese GeoPackage: :meth:`esperar` antes de agregarle otras capas.

    Crearla detiene a quien llama solo lo que tarda pasar la capa a Arrow, lote por lote
    (1,2 M trozos de frontis: ~0,8 s). Un hilo manda cada lote apenas está listo, así que
    GDAL empieza a escribir con el primero mientras aquí se arman los demás. Los lotes los
    arma quien llama y no ese hilo: compitiendo por el GIL con el cálculo que sigue, el hilo
    tardaba ~3 s y el proceso esperaba datos.

    Uso::

        aparte = EscrituraAparte(frentes, tmp, "frentes")   # empieza
        ...                                                # más cálculo
        aparte.esperar()                                   # y recién otras capas
    """

    def __init__(self, gdf: gpd.GeoDataFrame, ruta: str | os.PathLike, capa: str,
                 proceso=None):
        import threading

        from geo import _escritor

        self.capa = capa
        self._error: BaseException | None = None
        devolver_memoria_libre()  # lo que el proceso escritor pida usa páginas ya tocadas
        if proceso is None:  # si no, uno de geo._escritor.lanzar(), ya importando
            proceso = _escritor.lanzar()
        # espera en su entrada estándar la capa (ver geo._escritor); sin nada, termina
        self.proc = proceso
        # el hilo manda cada lote apenas está listo: el proceso empieza a escribir con el
        # primero, mientras aquí se arman los demás
        cola: queue.SimpleQueue = queue.SimpleQueue()
        self._hilo = threading.Thread(target=self._enviar, args=(cola,),
                                      name=f"arrow-{capa}", daemon=True)
        self._hilo.start()
        try:
            for pieza in self._lotes(gdf, ruta):
                cola.put(pieza)
        except BaseException as e:  # noqa: BLE001 - se entrega en esperar()
            self._error = e
        finally:
            cola.put(None)

    def _lotes(self, gdf: gpd.GeoDataFrame, ruta: str | os.PathLike):
        """Lo que se manda al proceso escritor, de a una pieza: primero ``(cabecera,
        esquema)``, después cada lote (tabla Arrow de hasta :data:`FILAS_POR_LOTE` filas)."""
        import json

        import pyarrow as pa

        partes = _partes_arrow(gdf)
        if partes is None:
            raise SinArrow(f"la capa '{self.capa}' no se puede escribir por Arrow")
        atributos, geom, tipo, crs = partes
        cabecera = json.dumps([str(ruta), self.capa, tipo, crs or ""]).encode() + b"\n"
        esquema = atributos.schema.append(pa.field("geometry", pa.binary()))
        yield cabecera, esquema
        for desde in range(0, max(len(geom), 1), FILAS_POR_LOTE):
            wkb = _wkb_multi(geom[desde:desde + FILAS_POR_LOTE]).cast(pa.binary())
            yield (atributos.slice(desde, FILAS_POR_LOTE)
                   .append_column(esquema.field("geometry"), wkb))

    def _enviar(self, cola) -> None:
        """Manda por la entrada del proceso lo que llega por ``cola`` (ver :meth:`_lotes`)
        hasta un ``None``; si no llegó la cabecera, el proceso termina sin escribir."""
        import pyarrow as pa

        try:
            primera = cola.get()
            if primera is None:
                return
            cabecera, esquema = primera
            _agrandar_tubo(self.proc.stdin)
            self.proc.stdin.write(cabecera)
            flujo = pa.ipc.new_stream(self.proc.stdin, esquema)
            while (tabla := cola.get()) is not None:
                flujo.write_table(tabla)
            flujo.close()  # fin del flujo: lo que se mandó está completo
        except BaseException as e:  # noqa: BLE001 - se entrega en esperar()
            if self._error is None:
                self._error = e
            while cola.get() is not None:  # que quien arma los lotes no quede esperando
                pass
        finally:
            with contextlib.suppress(OSError):  # sin nada, el proceso termina sin escribir
                self.proc.stdin.close()

    def esperar(self) -> None:
        """Espera a que termine. Si no se pudo preparar la capa, su error (``SinArrow`` si no
        pasa por Arrow: nada quedó escrito); si el proceso falló, ``RuntimeError`` con lo que
        dijo (también si por eso se cortó la tubería mientras se le mandaba la capa)."""
        self._hilo.join()
        with self.proc.stderr:
            err = self.proc.stderr.read()  # hasta que termine (su entrada ya está cerrada)
        self.proc.wait()
        # si el proceso falló, el hilo pudo encontrarse la tubería rota: la causa es la suya
        roto = isinstance(self._error, BrokenPipeError) and self.proc.returncode != 0
        if self._error is not None and not roto:
            raise self._error
        if self.proc.returncode != 0:
            raise RuntimeError(
                f"no se pudo escribir la capa '{self.capa}' en otro proceso: "
                f"{err.decode(errors='replace').strip()[-500:]}")

    def cancelar(self) -> None:
        """Termina el proceso (si sigue)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self._hilo.join()  # su escritura a la entrada rota falla y termina
        with contextlib.suppress(OSError):
            self.proc.stderr.close()
        self.proc.wait()


def _agrandar_tubo(archivo) -> None:
    """Tubería de 1 MB (Linux; por omisión 64 kB): el escritor no se queda sin datos
    mientras aquí se arma el lote siguiente. En otros sistemas no hace nada."""
    import fcntl

    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(archivo.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def _wkb_multi(geom: np.ndarray):
    """WKB (little endian) de cada geometría, con las simples promovidas a multi de una parte.

    Las líneas y los polígonos sin huecos (casi todos los trozos de frontis y los predios) se
    arman en numpy a partir de sus coordenadas (:func:`_wkb_multi_rapido`), sin un objeto de
    Python por fila; las demás pasan por ``shapely.to_wkb`` (:func:`_wkb_multi_shapely`).
    Mismos bytes por los dos caminos (lo exige ``tests/test_escritura_gpkg.py``).
    Returns ``pyarrow.Array`` binario.
    """
    import pyarrow as pa

    if len(geom) == 0:
        return pa.array([], type=pa.binary())
    tipo = shapely.get_type_id(geom)
    no_vacia = ~shapely.is_empty(geom) & (tipo >= 0)
    linea = (tipo == 1) & no_vacia
    poligono = (tipo == 3) & no_vacia & (shapely.get_num_interior_rings(geom) == 0)
    partes, filas = [], []
    for mascara, es_poligono in ((linea, False), (poligono, True)):
        if mascara.any():
            partes.append(_wkb_multi_rapido(geom[mascara], es_poligono))
            filas.append(np.flatnonzero(mascara))
    resto = ~(linea | poligono)
    if resto.any():
        partes.append(_wkb_multi_shapely(geom[resto]))
        filas.append(np.flatnonzero(resto))
    if len(partes) == 1:
        out = partes[0]
    else:
        todas = pa.concat_arrays([p.cast(pa.large_binary()) for p in partes])
        orden = np.empty(len(geom), dtype=np.int64)
        orden[np.concatenate(filas)] = np.arange(len(geom))
        out = todas.take(pa.array(orden))
    return out.cast(pa.binary()) if out.nbytes < 2**31 - 1 else out


def _wkb_multi_rapido(geom: np.ndarray, poligonos: bool):
    """WKB multi de una parte de líneas (``poligonos`` falso) o de polígonos de un solo anillo,
    2D y no vacíos: cabecera multi ``01 tipo 1`` + cabecera de la parte (``01 2 npuntos``, o
    ``01 3 1 npuntos`` con el anillo) + las coordenadas (float64 little endian), que se pegan
    con ``pyarrow.compute`` sin copiarlas una por una."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(geom)
    coords = np.ascontiguousarray(shapely.get_coordinates(geom), dtype="<f8")
    npuntos = shapely.get_num_coordinates(geom).astype("<u4")
    ancho = 22 if poligonos else 18
    cab = np.zeros((n, ancho), dtype=np.uint8)
    cab[:, 0] = 1  # little endian
    cab[:, 1] = 6 if poligonos else 5  # MultiPolygon / MultiLineString
    cab[:, 5] = 1  # una parte
    cab[:, 9] = 1
    cab[:, 10] = 3 if poligonos else 2  # Polygon / LineString
    if poligonos:
        cab[:, 14] = 1  # un anillo
    cab[:, ancho - 4:] = npuntos.view(np.uint8).reshape(n, 4)
    desde_cab = np.arange(n + 1, dtype=np.int64) * ancho
    desde_xy = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(npuntos.astype(np.int64) * 16, out=desde_xy[1:])
    cabeza = pa.Array.from_buffers(pa.large_binary(), n,
                                   [None, pa.py_buffer(desde_cab), pa.py_buffer(cab.ravel())])
    xy = pa.Array.from_buffers(pa.large_binary(), n,
                               [None, pa.py_buffer(desde_xy), pa.py_buffer(coords.ravel())])
    return pc.binary_join_element_wise(cabeza, xy, pa.scalar(b"", pa.large_binary()))


def _wkb_multi_shapely(geom: np.ndarray):
    """:func:`_wkb_multi` por ``shapely.to_wkb``, para cualquier tipo: WKB de una multi de una
    parte = ``01`` + tipo multi (uint32) + ``1`` (uint32) + el WKB de la parte; esa cabecera se
    antepone con ``pyarrow.compute`` (en C++, sin Python por fila)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    n = len(geom)
    wkb = en_bloques(lambda g: shapely.to_wkb(g, byte_order=1), geom)
    wkb = pa.array(wkb, type=pa.large_binary())
    tipo = shapely.get_type_id(geom)
    sube = np.isin(tipo, list(_MULTI)) & ~shapely.is_missing(geom)
    codigo_multi = np.zeros(8, dtype=np.uint8)
    for simple, (_, multi) in _MULTI.items():
        codigo_multi[simple] = multi
    cabeceras = np.zeros((int(sube.sum()), 9), dtype=np.uint8)
    cabeceras[:, 0] = 1  # little endian
    cabeceras[:, 1] = codigo_multi[tipo[sube]]  # tipo multi (uint32 little endian)
    cabeceras[:, 5] = 1  # una parte (uint32 little endian)
    desde = np.zeros(n + 1, dtype=np.int64)
    desde[1:] = np.cumsum(np.where(sube, 9, 0))  # las que ya son multi: cabecera vacía
    cabeza = pa.Array.from_buffers(pa.large_binary(), n,
                                   [None, pa.py_buffer(desde), pa.py_buffer(cabeceras.ravel())])
    return pc.binary_join_element_wise(cabeza, wkb, pa.scalar(b"", pa.large_binary()))


def _motivo(e: Exception) -> str:
    texto = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return texto[:200]
