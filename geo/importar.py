"""Importación de las capas propias de una municipalidad al esquema del sistema.

Formatos: GeoPackage, Shapefile (codificación de su .cpg, o latin-1 si no tiene: los DBF
peruanos suelen serlo), GeoJSON, CSV con geometría WKT y DXF de AutoCAD. Cualquier CRS se
reproyecta al CRS métrico; una capa sin CRS se rechaza salvo que el usuario lo indique.

Las columnas que no se mapean se conservan tal cual; los valores que no se pueden convertir
al tipo del esquema quedan vacíos y se informan elemento por elemento (nunca se pierde una fila).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.capas import a_crs_metrico, archivo_atomico, leer_capa, listar_capas
from geo.config import CONFIG, Config
from geo.errores import ErrorCRS, ErrorDatos, ErrorLectura, Problema
from geo.esquema import CAPAS
from geo.validacion import convertir_columnas

log = logging.getLogger(__name__)

FORMATOS = {
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".csv": "CSV con WKT",
    ".dxf": "DXF (AutoCAD)",
}
_COLUMNAS_WKT = ("wkt", "geometria", "geometry", "geom", "the_geom")


@dataclass
class Importacion:
    capa: str
    gdf: gpd.GeoDataFrame
    formato: str
    crs_origen: str
    problemas: list[Problema] = field(default_factory=list)
    conservadas: list[str] = field(default_factory=list)


def interpretar_mapeo(texto: str | None) -> dict[str, str]:
    """``"codigo=COD_PRED,uso=USO"`` → ``{"COD_PRED": "codigo", "USO": "uso"}`` (origen→esquema)."""
    if not texto:
        return {}
    mapeo = {}
    for parte in texto.split(","):
        if not parte.strip():
            continue
        if "=" not in parte:
            raise ErrorDatos(f"Mapeo '{parte}' mal escrito: use columna_esquema=COLUMNA_ORIGEN "
                             "(p. ej. codigo=COD_PRED).", "MAPEO_INVALIDO")
        destino, origen = (s.strip() for s in parte.split("=", 1))
        mapeo[origen] = destino
    return mapeo


def _crs_usuario(crs: str | None) -> CRS | None:
    if not crs:
        return None
    try:
        return CRS.from_user_input(crs)
    except CRSError as e:
        raise ErrorCRS(f"No reconozco el CRS '{crs}'. Use la forma EPSG:32718.",
                       "CRS_DESCONOCIDO") from e


def leer_origen(origen: str | Path, capa_origen: str | None = None,
                crs: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """Lee un archivo de origen en cualquiera de los formatos admitidos, sin reproyectar."""
    origen = Path(origen)
    if not origen.exists():
        raise ErrorLectura(f"No existe el archivo {origen}.", "ARCHIVO_NO_EXISTE")
    ext = origen.suffix.lower()
    if ext not in FORMATOS:
        raise ErrorLectura(
            f"Formato '{ext}' no admitido. Use uno de: {', '.join(sorted(set(FORMATOS)))}.",
            "FORMATO_DESCONOCIDO")
    formato = FORMATOS[ext]
    try:
        if ext == ".csv":
            gdf = _leer_csv(origen)
        elif ext == ".dxf":
            gdf = _leer_dxf(origen)
        else:
            kw = {}
            if ext == ".shp" and not origen.with_suffix(".cpg").exists() \
                    and not origen.with_suffix(".CPG").exists():
                kw["encoding"] = "latin1"  # DBF peruano sin .cpg: casi siempre latin-1
            if capa_origen:
                kw["layer"] = capa_origen
            elif ext == ".gpkg" and len(capas := listar_capas(origen)) > 1:
                raise ErrorDatos(
                    f"{origen.name} tiene varias capas ({', '.join(capas)}); "
                    "indique cuál con --capa-origen.", "CAPA_ORIGEN_AMBIGUA")
            gdf = gpd.read_file(origen, engine="pyogrio", **kw)
    except (ErrorLectura, ErrorDatos):
        raise
    except Exception as e:  # noqa: BLE001
        raise ErrorLectura(f"No se pudo leer {origen.name} como {formato} "
                           f"({str(e).splitlines()[0][:200]}).", "ARCHIVO_ILEGIBLE") from e
    usuario = _crs_usuario(crs)
    if gdf.crs is None:
        if usuario is None:
            raise ErrorCRS(
                f"{origen.name} no declara su sistema de referencia (CRS). Indíquelo con "
                "--crs EPSG:XXXX (p. ej. EPSG:32718 UTM 18S WGS84, EPSG:24878 PSAD56 UTM 18S, "
                "EPSG:4326 si son grados).", "CRS_AUSENTE")
        gdf = gdf.set_crs(usuario)
    elif usuario is not None and CRS.from_user_input(gdf.crs) != usuario:
        log.warning("%s declara %s; se usa el indicado por el usuario %s",
                    origen.name, gdf.crs, usuario)
        gdf = gdf.set_crs(usuario, allow_override=True)
    if gdf.crs.is_geographic and len(gdf) and not gdf.geometry.isna().all():
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if min(xmin, ymin) < -180 or max(xmax, ymax) > 180:
            raise ErrorCRS(
                f"{origen.name} dice estar en grados ({gdf.crs.to_string()}) pero sus coordenadas "
                f"({xmin:.0f}, {ymin:.0f}) son de metros: el archivo no declara bien su CRS "
                "(un GeoJSON sin CRS se toma como EPSG:4326). Indique el verdadero con --crs "
                "EPSG:XXXX.", "CRS_INCOHERENTE")
    return gdf, formato


def _leer_csv(origen: Path) -> gpd.GeoDataFrame:
    df = None
    for cod in ("utf-8-sig", "latin1"):
        try:
            df = pd.read_csv(origen, dtype=str, encoding=cod, sep=None, engine="python")
            break
        except UnicodeDecodeError:
            continue
    col = next((c for c in df.columns if c.strip().lower() in _COLUMNAS_WKT), None)
    if col is None:
        raise ErrorDatos(f"{origen.name} no tiene una columna de geometría WKT (llámela WKT).",
                         "CSV_SIN_WKT")
    wkt = df.pop(col)
    # una columna toda vacía llega como float: a texto (los vacíos siguen vacíos)
    texto = wkt.astype("str").str.strip()
    con_texto = (texto.notna() & (texto != "")).to_numpy(dtype=bool)
    # vectorizado: un WKT ilegible queda None y se reconoce por tener texto sin geometría
    geoms = shapely.from_wkt(np.where(con_texto, texto.to_numpy(dtype=object), None),
                             on_invalid="ignore")
    malos = np.flatnonzero(con_texto & shapely.is_missing(geoms))
    if len(malos):
        raise ErrorDatos(
            f"{origen.name}: WKT ilegible en las filas {', '.join(str(i + 2) for i in malos[:20])}"
            " (contando la cabecera como fila 1). Corrija esas geometrías.", "CSV_WKT_INVALIDO")
    return gpd.GeoDataFrame(df, geometry=geoms, crs=None)


def _leer_dxf(origen: Path) -> gpd.GeoDataFrame:
    """DXF: polilíneas cerradas → polígonos; los textos dentro de cada polígono → columna
    ``texto`` (en los planos catastrales el código del lote suele ser un texto)."""
    ent = pyogrio.read_dataframe(origen)
    geoms = ent.geometry.to_numpy()
    tipo = shapely.get_type_id(geoms)
    texto = ent["Text"] if "Text" in ent.columns else pd.Series(None, index=ent.index)
    es_texto = (tipo == 0) & texto.notna().to_numpy()
    cerradas = np.isin(tipo, (1, 2)) & shapely.is_closed(geoms)
    if cerradas.any():
        coords, ix = shapely.get_coordinates(geoms[cerradas], return_index=True)
        geoms = geoms.copy()
        geoms[cerradas] = shapely.polygons(shapely.linearrings(coords, indices=ix))
    cuerpo = gpd.GeoDataFrame(ent.drop(columns="geometry")[~es_texto],
                              geometry=geoms[~es_texto], crs=ent.crs).reset_index(drop=True)
    poligonos = shapely.get_type_id(cuerpo.geometry.to_numpy()) == 3
    if es_texto.any() and poligonos.any():
        i_txt, i_pol = shapely.STRtree(cuerpo.geometry.to_numpy()).query(
            geoms[es_texto], predicate="within")
        etiquetas = pd.Series(texto.to_numpy()[es_texto][i_txt], index=i_pol)
        cuerpo["texto"] = etiquetas[~etiquetas.index.duplicated()].reindex(cuerpo.index)
    return cuerpo


def importar_capa(origen: str | Path, capa: str, mapeo: dict[str, str] | None = None,
                  crs: str | None = None, capa_origen: str | None = None,
                  config: Config = CONFIG) -> Importacion:
    """Lee ``origen``, renombra según ``mapeo`` (origen→esquema), convierte tipos y reproyecta.

    Devuelve la capa en el CRS métrico con las columnas del esquema primero y las demás
    conservadas detrás, y los problemas de conversión por elemento.
    """
    if capa not in CAPAS:
        raise ErrorDatos(f"Capa '{capa}' desconocida. Capas del esquema: {', '.join(CAPAS)}.",
                         "CAPA_DESCONOCIDA")
    esquema = CAPAS[capa]
    gdf, formato = leer_origen(origen, capa_origen, crs)
    crs_origen = gdf.crs.to_string()
    mapeo = dict(mapeo or {})
    faltan = [o for o in mapeo if o not in gdf.columns]
    if faltan:
        raise ErrorDatos(
            f"El mapeo nombra columnas que {Path(origen).name} no tiene: {', '.join(faltan)}. "
            f"Columnas disponibles: {', '.join(c for c in gdf.columns if c != 'geometry')}.",
            "MAPEO_COLUMNA_INEXISTENTE")
    # Sin mapeo explícito, una columna que ya se llama como en el esquema (sin importar
    # mayúsculas) se toma tal cual.
    for col in gdf.columns:
        if col not in mapeo and col.lower() in esquema.nombres and col.lower() not in gdf.columns:
            mapeo[col] = col.lower()
    gdf = gdf.rename(columns=mapeo)
    gdf = gdf.to_crs(config.crs_metrico)
    gdf, problemas = convertir_columnas(gdf, esquema)
    problemas = [
        Problema("COLUMNA_FALTANTE", "error", capa, "",
                 f"Falta la columna obligatoria '{c.nombre}' ({c.descripcion}): indíquela con "
                 f"--mapeo {c.nombre}=COLUMNA_ORIGEN o complétela en QGIS.")
        for c in esquema.columnas if c.obligatoria and c.nombre not in gdf.columns
    ] + problemas
    gdf, otras = _ordenar(gdf, esquema)
    return Importacion(capa, gdf, formato, crs_origen, problemas, otras)


def _ordenar(gdf: gpd.GeoDataFrame, esquema) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Las columnas del esquema primero, las demás detrás y la geometría al final; devuelve
    también los nombres de las demás."""
    propias = [c for c in esquema.nombres if c in gdf.columns]
    otras = [c for c in gdf.columns if c not in propias and c != gdf.geometry.name]
    return gdf[propias + otras + [gdf.geometry.name]], otras


def estimar_anchos(vias: gpd.GeoDataFrame, destino: str | Path,
                   config: Config = CONFIG) -> tuple[gpd.GeoDataFrame, str]:
    """Completa ``ancho_m`` (m) de las vías que no lo traen (vacío o ≤ 0) con el ancho que
    dejan los linderos de manzana de los predios ya guardados en ``destino`` (ver
    :func:`geo.frontis.estimar_ancho_vias`); las que ya lo traen no se tocan.

    Agrega ``ancho_fuente``: ``origen`` (venía en la capa), ``estimado`` o vacío (no hay
    predios que lo marquen a los lados: al derivar se usa el ancho por defecto de su tipo).

    ``vias`` y los predios se miden en el CRS métrico de ``config``. Devuelve la capa y un
    resumen en español. ``ErrorDatos`` si ``destino`` aún no tiene la capa ``predios``.
    """
    from geo.frontis import SEMIANCHO_MAX_ESTIMADO_M, estimar_ancho_vias, sin_ancho

    destino = Path(destino)
    if not destino.is_file() or "predios" not in listar_capas(destino):
        raise ErrorDatos(
            f"Para estimar el ancho de las vías hace falta la capa 'predios' en {destino}: "
            "el ancho sale de la distancia entre el eje y los linderos de manzana. Importe "
            f"primero los predios (catastro importar ORIGEN --capa predios --destino {destino}) "
            "y después las vías con --estimar-ancho.", "CAPA_FALTANTE")
    predios = a_crs_metrico(leer_capa(destino, "predios"), "predios", config)
    predios = predios[~(predios.geometry.isna() | predios.geometry.is_empty).to_numpy()]
    traia = ~sin_ancho(vias)
    out = estimar_ancho_vias(vias, predios, solo_faltantes=True)
    ancho = pd.to_numeric(out["ancho_m"], errors="coerce").astype(float)
    estimado = ~traia & (ancho > 0).to_numpy(dtype=bool)
    out["ancho_m"] = ancho
    # al volver a importar una capa ya estimada, lo estimado sigue diciéndolo
    previa = (vias["ancho_fuente"].astype(object).to_numpy() if "ancho_fuente" in vias.columns
              else np.full(len(vias), None, dtype=object))
    fuente = np.where(traia, np.where(previa == "estimado", "estimado", "origen"),
                      np.where(estimado, "estimado", None))
    out["ancho_fuente"] = pd.Series(fuente, index=out.index, dtype=object)
    out, _ = _ordenar(out, CAPAS["vias"])
    n, k, sin = len(out), int(estimado.sum()), int((~traia & ~estimado).sum())
    partes = [f"Ancho de vía estimado de los linderos de manzana en {k:,} de {n:,} vías"]
    if k:
        e = ancho[estimado]
        partes[0] += f" (mediana {e.median():.1f} m, de {e.min():.1f} a {e.max():.1f} m)"
    partes[0] += "."
    if traia.any():
        de_antes = int((fuente[traia] == "estimado").sum())
        nota = f" ({de_antes:,} de ellas, estimadas antes)" if de_antes else ""
        partes.append(f"{int(traia.sum()):,} ya traían ancho_m y se respetan{nota}.")
    if sin:
        partes.append(f"{sin:,} quedan sin ancho (no hay linderos de manzana alineados con "
                      f"ellas a menos de {SEMIANCHO_MAX_ESTIMADO_M:g} m del eje): al derivar se "
                      "usa el ancho por defecto de su tipo.")
    partes.append("La columna ancho_fuente dice de dónde salió cada ancho; revise los estimados "
                  "en QGIS antes de derivar.")
    return out, " ".join(partes)


def guardar_en_almacen(gdf: gpd.GeoDataFrame, capa: str, destino: str | Path) -> Path:
    """Escribe (o reemplaza) una capa en el GeoPackage ``destino`` sin tocar las demás.

    Atómico: se trabaja sobre una copia y se renombra al final.
    """
    destino = Path(destino)
    with archivo_atomico(destino) as tmp:
        if destino.exists():
            shutil.copyfile(destino, tmp)
        gdf.to_file(tmp, layer=capa, driver="GPKG", engine="pyogrio")
    return destino
