"""Validación de un almacén de capas: ¿sirven estas capas para calcular arbitrios?

Se reúnen TODOS los problemas (no solo el primero), cada uno con un código estable, la capa,
el código catastral o índice del elemento, un mensaje en español que dice qué corregir y una
ubicación. Severidad ``error`` = impide calcular; ``aviso`` = conviene revisar.

Códigos (estables; la CLI y las pruebas dependen de ellos):

=========================  ========  =====================================================
código                     severidad qué
=========================  ========  =====================================================
ARCHIVO_NO_EXISTE          (salida 2) el archivo no existe
ARCHIVO_ILEGIBLE           (salida 2) el archivo está dañado o no es geoespacial
CAPA_FALTANTE              error     falta una capa obligatoria
CAPA_ILEGIBLE              error     la capa no se puede leer ni elemento por elemento
COLUMNA_FALTANTE           error     falta una columna obligatoria
VALOR_TIPO                 error     un valor no es del tipo de su columna
VALOR_FALTANTE             error     un valor obligatorio está vacío
CRS_AUSENTE                error     la capa no tiene CRS
CRS_GEOGRAFICO             aviso     la capa está en grados: se reproyecta para medir
GEOM_ILEGIBLE              error     la geometría del elemento está dañada
GEOM_NULA                  error     el elemento no tiene geometría
GEOM_VACIA                 error     la geometría está vacía
GEOM_TIPO                  error     tipo de geometría equivocado (línea donde va polígono…)
GEOM_INVALIDA              error     geometría inválida (autointersección…), con el motivo
CODIGO_DUPLICADO           error     código catastral repetido
PREDIOS_SOLAPADOS          error     dos predios se superponen más de la tolerancia (1 m²)
PREDIO_FUERA_DISTRITO      error     el predio sale del límite del distrito
USO_DESCONOCIDO            error     uso fuera de los 10 códigos del SNC
CONDICION_DESCONOCIDA      error     condición de exoneración no reconocida
AREA_NEGATIVA              error     área de terreno o construida negativa
AREA_CONSTRUIDA_EXCESIVA   aviso     área construida > 20 × área de terreno
PARTICIPACION_SUMA         aviso     participaciones de un predio matriz no suman 1
VIA_SIN_NOMBRE             error     vía sin nombre
VIA_SIN_ANCHO              aviso     vía sin ancho_m: se mide con el ancho de su tipo
FRECUENCIA_INVALIDA        error     frecuencia semanal fuera de 1–7
ZONA_DESCONOCIDA           error     zona de recolección distinta de A/B
ZONAS_SOLAPADAS            error     zonas de recolección superpuestas entre sí
=========================  ========  =====================================================
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.capas import listar_capas
from geo.config import CONFIG, Config
from geo.errores import SALIDA_DATOS, SALIDA_OK, Problema
from geo.esquema import CAPAS, CONDICIONES, USOS, ZONAS_RECOLECCION, Capa
from geo.frontis import ancho_por_tipo, sin_ancho
from geo.paralelo import en_bloques

log = logging.getLogger(__name__)

_TIPOS_GEOM = {
    "poligono": ("Polygon", "MultiPolygon"),
    "linea": ("LineString", "MultiLineString"),
}
_NOMBRE_GEOM = {"poligono": "polígonos", "linea": "líneas"}


@dataclass
class Informe:
    """Resultado de validar: los problemas y las capas leídas (en CRS métrico)."""

    ruta: Path
    problemas: list[Problema] = field(default_factory=list)
    capas: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    conteos: dict[str, int] = field(default_factory=dict)

    @property
    def errores(self) -> list[Problema]:
        return [p for p in self.problemas if p.severidad == "error"]

    @property
    def avisos(self) -> list[Problema]:
        return [p for p in self.problemas if p.severidad == "aviso"]

    @property
    def salida(self) -> int:
        return SALIDA_DATOS if self.errores else SALIDA_OK

    def tabla(self) -> pd.DataFrame:
        """Los problemas como tabla (una fila por problema)."""
        cols = ["codigo", "severidad", "capa", "elemento", "mensaje", "ubicacion"]
        return pd.DataFrame([p.como_dict() for p in self.problemas], columns=cols)


# ---------------------------------------------------------------------------------------------
# Lectura tolerante


def leer_tolerante(ruta: Path, capa: str) -> tuple[gpd.GeoDataFrame | None, list[Problema]]:
    """Lee una capa; si la lectura rápida falla, la recorre elemento por elemento (fiona).

    Un elemento dañado se informa por su índice (``#N``, contando desde 0) en vez de abortar.
    En GeoPackage, además, detecta geometrías cuyo blob existe pero GDAL no pudo decodificar.
    """
    problemas: list[Problema] = []
    try:
        gdf = pyogrio.read_dataframe(ruta, layer=capa, fid_as_index=True, use_arrow=True)
    except Exception as e:  # noqa: BLE001 - cualquier fallo: pasamos al lector por elemento
        log.info("lectura rápida de %s falló (%s); se lee elemento por elemento", capa, e)
        gdf, problemas = _leer_por_elemento(ruta, capa)
        if gdf is None:
            return None, problemas
    else:
        problemas += _blobs_danados(ruta, capa, gdf)
    if not isinstance(gdf, gpd.GeoDataFrame):  # tabla sin geometría
        gdf = gpd.GeoDataFrame(gdf, geometry=gpd.GeoSeries([None] * len(gdf), index=gdf.index))
    gdf = gdf.reset_index(drop=True)
    return gdf, problemas


def _leer_por_elemento(ruta: Path, capa: str) -> tuple[gpd.GeoDataFrame | None, list[Problema]]:
    import fiona  # solo para capas con elementos dañados: no se importa en cada orden (~0,06 s)

    problemas: list[Problema] = []
    filas, geoms = [], []
    try:
        with fiona.open(ruta, layer=capa) as src:
            crs = src.crs.to_wkt() if src.crs else None
            it = iter(src)
            i = 0
            while True:
                try:
                    f = next(it)
                except StopIteration:
                    break
                except Exception as e:  # noqa: BLE001
                    problemas.append(_problema_ilegible(capa, i, e))
                    i += 1
                    continue
                try:
                    _exigir_anillos_cerrados(f.geometry)
                    g = shapely.geometry.shape(f.geometry) if f.geometry else None
                except Exception as e:  # noqa: BLE001
                    problemas.append(_problema_ilegible(capa, i, e))
                    g = None
                filas.append(dict(f.properties))
                geoms.append(g)
                i += 1
    except Exception as e:  # noqa: BLE001
        problemas.append(Problema(
            "CAPA_ILEGIBLE", "error", capa, "",
            f"No se pudo leer la capa ni elemento por elemento ({str(e)[:150]}). "
            "Vuelva a exportarla desde su SIG."))
        return None, problemas
    gdf = gpd.GeoDataFrame(pd.DataFrame(filas), geometry=geoms, crs=crs)
    return gdf, problemas


def _exigir_anillos_cerrados(geom) -> None:
    """shapely cierra en silencio un anillo abierto; nosotros lo informamos."""
    if geom is None or geom.type not in ("Polygon", "MultiPolygon"):
        return
    poligonos = [geom.coordinates] if geom.type == "Polygon" else geom.coordinates
    for anillos in poligonos:
        for anillo in anillos:
            if len(anillo) and tuple(anillo[0]) != tuple(anillo[-1]):
                raise ValueError("anillo sin cerrar")


def _problema_ilegible(capa: str, i: int, e: Exception) -> Problema:
    return Problema(
        "GEOM_ILEGIBLE", "error", capa, f"#{i}",
        f"La geometría del elemento #{i} está dañada y no se puede leer ({str(e)[:120]}); "
        "por ejemplo un anillo sin cerrar. Redibújela en su SIG.")


def _blobs_danados(ruta: Path, capa: str, gdf: pd.DataFrame) -> list[Problema]:
    """GeoPackage: elementos con blob de geometría no nulo que GDAL devolvió como nulo."""
    if ruta.suffix.lower() != ".gpkg" or not isinstance(gdf, gpd.GeoDataFrame):
        return []
    nulos = gdf.index[gdf.geometry.isna()]
    if len(nulos) == 0:
        return []
    try:
        with sqlite3.connect(f"file:{ruta}?mode=ro", uri=True) as con:
            col = con.execute(
                "select column_name from gpkg_geometry_columns where table_name = ?", (capa,)
            ).fetchone()
            if not col:
                return []
            con_blob = {
                r[0] for r in con.execute(
                    f'select fid from "{capa}" where "{col[0]}" is not null')  # noqa: S608
            }
    except sqlite3.Error:
        return []
    posiciones = {fid: i for i, fid in enumerate(gdf.index)}
    return [
        _problema_ilegible(capa, posiciones[fid], ValueError("blob GPKG indescifrable"))
        for fid in nulos if fid in con_blob
    ]


# ---------------------------------------------------------------------------------------------
# Utilidades


def _ids(gdf: gpd.GeoDataFrame, capa: Capa) -> np.ndarray:
    """Identificador legible de cada elemento: su código/nombre o ``#índice``."""
    pos = ("#" + pd.RangeIndex(len(gdf)).astype(str)).to_numpy(dtype=object)
    if capa.clave and capa.clave in gdf.columns:
        clave = gdf[capa.clave].astype("string").fillna("").to_numpy(dtype=object)
        if capa.nombre == "vias" and "cuadra" in gdf.columns:
            cuadra = gdf["cuadra"].astype("string").fillna("").to_numpy(dtype=object)
            clave = np.where((cuadra != "") & (clave != ""), clave + " cdra. " + cuadra, clave)
        return np.where(clave != "", clave, pos)
    return pos


def _ubicaciones(geoms: np.ndarray) -> np.ndarray:
    """Punto representativo ``"x y"`` (0.1 m) de cada geometría; vacío si no hay."""
    out = np.full(len(geoms), "", dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        pts = shapely.point_on_surface(geoms[ok])
        xy = shapely.get_coordinates(pts)
        out[ok] = [f"{x:.1f} {y:.1f}" for x, y in xy]
    return out


class _IdsPerezosos:
    """:func:`_ids` calculado solo si hace falta nombrar algún elemento (``ids[mascara]``)."""

    def __init__(self, gdf: gpd.GeoDataFrame, capa: Capa):
        self.gdf, self.capa, self.ids = gdf, capa, None

    def __getitem__(self, mascara) -> np.ndarray:
        if self.ids is None:
            self.ids = _ids(self.gdf, self.capa)
        return self.ids[mascara]


class _Ubicaciones:
    """Ubicaciones calculadas solo para los elementos con problema (``ubic[mascara]``)."""

    def __init__(self, geoms: np.ndarray):
        self.geoms = geoms

    def __getitem__(self, mascara) -> np.ndarray:
        return _ubicaciones(self.geoms[mascara])


def _problemas(codigo, severidad, capa, ids, mensajes, ubic) -> list[Problema]:
    if isinstance(mensajes, str):
        mensajes = [mensajes] * len(ids)
    return [Problema(codigo, severidad, capa, str(i), str(m), str(u))
            for i, m, u in zip(ids, mensajes, ubic)]


def _texto_limpio(serie: pd.Series) -> pd.Series:
    """Texto sin espacios a los lados; vacío → faltante. Devuelve dtype ``str`` (Arrow), el
    mismo que :func:`_texto_limpio_rapido`: la capa queda igual venga por donde venga."""
    if isinstance(serie.dtype, pd.StringDtype):
        return _texto_limpio_rapido(serie)
    obj = serie.astype(object)
    presentes = obj.notna().to_numpy()
    texto = np.full(len(obj), None, dtype=object)
    texto[presentes] = obj[presentes].astype(str).to_numpy(dtype=object)
    return _texto_limpio_rapido(pd.Series(texto, index=serie.index, dtype="str"))


def _texto_limpio_rapido(serie: pd.Series) -> pd.Series:
    """:func:`_texto_limpio` de una columna ya de texto (dtype ``str``, como llegan de pyogrio
    por Arrow), sin salir de Arrow: pasar un millón de textos a objetos de Python costaba
    ~0,15 s por columna, y otra vez al escribir."""
    limpio = serie.str.strip()
    return limpio.where(limpio != "")


def convertir_columnas(gdf: gpd.GeoDataFrame, capa: Capa) -> tuple[gpd.GeoDataFrame, list[Problema]]:
    """Convierte las columnas del esquema a su tipo; informa cada valor que no se pudo convertir.

    Los valores inconvertibles quedan vacíos (nunca se descarta la fila). Devuelve una copia.
    """
    ids = _IdsPerezosos(gdf, capa)  # de los valores tal como llegaron
    gdf = gdf.copy()
    problemas: list[Problema] = []
    geoms = gdf.geometry.to_numpy() if "geometry" in gdf else np.full(len(gdf), None)
    inconvertibles: dict[str, np.ndarray] = {}
    for col in capa.columnas:
        if col.nombre not in gdf.columns:
            continue
        serie = gdf[col.nombre]
        if col.tipo == "texto":
            gdf[col.nombre] = _texto_limpio(serie)
            continue
        if pd.api.types.is_numeric_dtype(serie):
            vacio = serie.isna()
        else:
            vacio = _texto_limpio(serie).isna()
        num = pd.to_numeric(serie.where(~vacio), errors="coerce")
        malo = ~vacio & num.isna()
        if col.tipo == "entero":
            malo |= num.notna() & (num != np.round(num))
            gdf[col.nombre] = num.where(~malo).astype("Int64")
        else:
            gdf[col.nombre] = num.astype("float64")
        m = malo.to_numpy()
        inconvertibles[col.nombre] = m
        if m.any():
            tipo = "un número entero" if col.tipo == "entero" else "un número"
            problemas += _problemas(
                "VALOR_TIPO", "error", capa.nombre, ids[m],
                [f"La columna '{col.nombre}' tiene '{v}', que no es {tipo}. Corrija el valor."
                 for v in serie[m].astype(str)],
                _ubicaciones(geoms[m]))
    for col in capa.columnas:
        if col.obligatoria and col.nombre in gdf.columns:
            # los inconvertibles ya se informaron como VALOR_TIPO
            falta = gdf[col.nombre].isna().to_numpy() & ~inconvertibles.get(
                col.nombre, np.zeros(len(gdf), dtype=bool))
            if falta.any():
                problemas += _problemas(
                    "VALOR_FALTANTE", "error", capa.nombre, ids[falta],
                    f"La columna obligatoria '{col.nombre}' está vacía. Complétela.",
                    _ubicaciones(geoms[falta]))
    return gdf, problemas


# ---------------------------------------------------------------------------------------------
# Comprobaciones por capa


def _comprobar_crs(gdf, capa: str, config: Config) -> tuple[gpd.GeoDataFrame | None, list]:
    if gdf.crs is None:
        return None, [Problema(
            "CRS_AUSENTE", "error", capa, "",
            f"La capa '{capa}' no tiene sistema de referencia (CRS): no se puede medir. "
            "Asígnelo en QGIS o vuelva a importarla con 'catastro importar … --crs EPSG:XXXX'.")]
    problemas = []
    if gdf.crs.is_geographic:
        problemas.append(Problema(
            "CRS_GEOGRAFICO", "aviso", capa, "",
            f"La capa '{capa}' está en coordenadas geográficas ({gdf.crs.to_string()}); se "
            f"reproyecta a {config.crs_metrico} para medir. Guárdela en un CRS métrico."))
    if gdf.crs != config.crs_metrico:
        gdf = gdf.to_crs(config.crs_metrico)
    return gdf, problemas


def _comprobar_geometrias(gdf: gpd.GeoDataFrame, capa: Capa) -> tuple[np.ndarray, list]:
    """Devuelve la máscara de geometrías utilizables y los problemas."""
    geoms = gdf.geometry.to_numpy()
    ids = _ids(gdf, capa)
    problemas: list[Problema] = []
    nula = shapely.is_missing(geoms)
    vacia = ~nula & shapely.is_empty(geoms)
    tipos = np.asarray(shapely.get_type_id(geoms))
    permitidos = {
        "poligono": (3, 6),
        "linea": (1, 5),
    }[capa.geometria]
    mal_tipo = ~nula & ~vacia & ~np.isin(tipos, permitidos)
    candidatas = ~nula & ~vacia & ~mal_tipo
    invalida = np.zeros(len(geoms), dtype=bool)
    invalida[candidatas] = ~shapely.is_valid(geoms[candidatas])
    if nula.any():
        problemas += _problemas("GEOM_NULA", "error", capa.nombre, ids[nula],
                                "El elemento no tiene geometría. Dibújela o elimine la fila.",
                                [""] * int(nula.sum()))
    if vacia.any():
        problemas += _problemas("GEOM_VACIA", "error", capa.nombre, ids[vacia],
                                "La geometría está vacía. Dibújela o elimine la fila.",
                                [""] * int(vacia.sum()))
    if mal_tipo.any():
        nombres = shapely.get_type_id(geoms[mal_tipo])
        tipo_txt = {0: "punto", 1: "línea", 2: "anillo", 3: "polígono", 4: "multipunto",
                    5: "multilínea", 6: "multipolígono", 7: "colección"}
        problemas += _problemas(
            "GEOM_TIPO", "error", capa.nombre, ids[mal_tipo],
            [f"La geometría es un(a) {tipo_txt.get(int(t), '?')}; la capa '{capa.nombre}' "
             f"lleva {_NOMBRE_GEOM[capa.geometria]}." for t in nombres],
            _ubicaciones(geoms[mal_tipo]))
    if invalida.any():
        motivos = shapely.is_valid_reason(geoms[invalida])
        problemas += _problemas(
            "GEOM_INVALIDA", "error", capa.nombre, ids[invalida],
            [f"Geometría inválida: {_motivo_es(m)}. Corríjala en QGIS (Vectorial › "
             "Herramientas de geometría › Corregir geometrías)." for m in motivos],
            _ubicaciones(geoms[invalida]))
    return candidatas & ~invalida, problemas


def _motivo_es(m: str) -> str:
    traduccion = {
        "Self-intersection": "autointersección",
        "Ring Self-intersection": "autointersección del anillo",
        "Too few points": "muy pocos vértices",
        "Interior is disconnected": "interior desconectado",
        "Hole lies outside shell": "hueco fuera del contorno",
        "Nested shells": "contornos anidados",
        "Duplicate Rings": "anillos duplicados",
        "Invalid Coordinate": "coordenada inválida",
        "Ring is not closed": "anillo sin cerrar",
    }
    for en, es in traduccion.items():
        if m.startswith(en):
            resto = m[len(en):].strip()
            return f"{es} {resto}".strip()
    return m


def _comprobar_predios(gdf: gpd.GeoDataFrame, utiles: np.ndarray, config: Config,
                       distrito: gpd.GeoDataFrame | None) -> list[Problema]:
    capa = CAPAS["predios"]
    ids = _IdsPerezosos(gdf, capa)
    geoms = gdf.geometry.to_numpy()
    ubic = _Ubicaciones(np.where(utiles, geoms, None))
    problemas: list[Problema] = []

    if "codigo" in gdf.columns:
        cod = gdf["codigo"]
        dup = cod.notna() & cod.duplicated(keep=False)
        if dup.any():
            m = dup.to_numpy()
            veces = cod[m].map(cod[m].value_counts())
            problemas += _problemas(
                "CODIGO_DUPLICADO", "error", "predios", ids[m],
                [f"El código catastral se repite {n} veces; cada predio debe tener uno único."
                 for n in veces], ubic[m])

    if "uso" in gdf.columns:
        uso = gdf["uso"]
        m = (uso.notna() & ~uso.isin(list(USOS))).to_numpy()
        if m.any():
            problemas += _problemas(
                "USO_DESCONOCIDO", "error", "predios", ids[m],
                [f"Uso {u} desconocido: use un código general del SNC de 1 a 10 "
                 f"(1 Residencial … 10 Bienes comunes)." for u in uso[m]], ubic[m])

    if "condicion" in gdf.columns:
        cond = gdf["condicion"]
        m = (cond.notna() & ~cond.isin(list(CONDICIONES))).to_numpy()
        if m.any():
            validas = ", ".join(CONDICIONES)
            problemas += _problemas(
                "CONDICION_DESCONOCIDA", "error", "predios", ids[m],
                [f"Condición '{c}' no reconocida; use una de: {validas}, o déjela vacía."
                 for c in cond[m]], ubic[m])

    for col in ("area_terreno_m2", "area_construida_m2"):
        if col in gdf.columns:
            m = (gdf[col] < 0).fillna(False).to_numpy()
            if m.any():
                problemas += _problemas(
                    "AREA_NEGATIVA", "error", "predios", ids[m],
                    [f"'{col}' es negativa ({v:g} m²). Corrija el valor." for v in gdf[col][m]],
                    ubic[m])
    if {"area_terreno_m2", "area_construida_m2"} <= set(gdf.columns):
        # Una unidad en propiedad horizontal se compara con la huella del predio matriz.
        terreno = gdf["area_terreno_m2"].astype("float64")
        if "predio_matriz" in gdf.columns:
            huella = pd.Series(shapely.area(geoms), index=gdf.index)
            terreno = terreno.where(gdf["predio_matriz"].isna(), huella)
        constr = gdf["area_construida_m2"].astype("float64")
        m = (constr > config.factor_area_construida * terreno).fillna(False).to_numpy()
        m = m & (terreno > 0).to_numpy()
        if m.any():
            problemas += _problemas(
                "AREA_CONSTRUIDA_EXCESIVA", "aviso", "predios", ids[m],
                [f"Área construida {c:,.2f} m² es más de {config.factor_area_construida:g} veces "
                 f"el terreno ({t:,.2f} m²). Verifique la declaración."
                 for c, t in zip(constr[m], terreno[m])], ubic[m])

    if {"predio_matriz", "participacion"} <= set(gdf.columns):
        ph = gdf[gdf["predio_matriz"].notna() & gdf["participacion"].notna()]
        if len(ph):
            suma = ph.groupby("predio_matriz")["participacion"].sum()
            malas = suma[(suma - 1.0).abs() > 1e-3]
            for matriz, s in malas.items():
                problemas.append(Problema(
                    "PARTICIPACION_SUMA", "aviso", "predios", str(matriz),
                    f"Las participaciones de las unidades del predio matriz {matriz} suman "
                    f"{s:.4f}, no 1. El frontis se prorrateará sobre esa suma."))

    problemas += _solapes(gdf, utiles, ids, config)

    if distrito is not None and len(distrito):
        limite = shapely.union_all(distrito.geometry.to_numpy())
        limite = shapely.buffer(limite, 0.5)  # tolerancia de digitalización
        shapely.prepare(limite)
        idx = np.flatnonzero(utiles)
        fuera = idx[~shapely.covered_by(geoms[idx], limite)]
        if len(fuera):
            problemas += _problemas(
                "PREDIO_FUERA_DISTRITO", "error", "predios", ids[fuera],
                "El predio está total o parcialmente fuera del límite del distrito. "
                "Revise su posición o el límite (capa 'distrito').", ubic[fuera])
    return problemas


def _solapes(gdf, utiles, ids, config: Config) -> list[Problema]:
    """Pares de predios cuyo solape supera la tolerancia; las unidades de un mismo predio
    matriz comparten huella y no cuentan como solape."""
    idx = np.flatnonzero(utiles)
    geoms = gdf.geometry.to_numpy()[idx]
    arbol = shapely.STRtree(geoms)
    a, b = arbol.query(geoms)  # solo rectángulos envolventes: el filtro fino viene abajo
    m = a < b
    a, b = a[m], b[m]
    if "predio_matriz" in gdf.columns:
        matriz = gdf["predio_matriz"].fillna("").astype(str).to_numpy()[idx]
        mismo = (matriz[a] == matriz[b]) & (matriz[a] != "")
        a, b = a[~mismo], b[~mismo]
    # El área de la intersección nunca supera la de la intersección de los rectángulos
    # envolventes: con ese filtro barato (numpy) se descartan los vecinos que solo se tocan.
    caja = shapely.bounds(geoms)
    ancho = np.minimum(caja[a, 2], caja[b, 2]) - np.maximum(caja[a, 0], caja[b, 0])
    alto = np.minimum(caja[a, 3], caja[b, 3]) - np.maximum(caja[a, 1], caja[b, 1])
    posible = ancho * alto > config.tolerancia_solape_m2
    a, b = a[posible], b[posible]
    if len(a) == 0:
        return []
    # la intersección de cada par (lo que más pesa al validar), repartida entre los núcleos
    area = en_bloques(lambda k: shapely.area(shapely.intersection(geoms[a[k]], geoms[b[k]])),
                      np.arange(len(a)))
    m = area > config.tolerancia_solape_m2
    a, b, area = a[m], b[m], area[m]
    ubic = _ubicaciones(shapely.intersection(geoms[a], geoms[b]))
    return [
        Problema("PREDIOS_SOLAPADOS", "error", "predios", str(ids[idx[i]]),
                 f"Se superpone {ar:,.2f} m² con el predio {ids[idx[j]]} (tolerancia "
                 f"{config.tolerancia_solape_m2:g} m²). Ajuste los linderos; si son unidades "
                 "de un mismo edificio, indique el mismo predio_matriz.", u)
        for i, j, ar, u in zip(a, b, area, ubic)
    ]


def _comprobar_otras(nombre: str, gdf: gpd.GeoDataFrame, utiles: np.ndarray,
                     config: Config) -> list[Problema]:
    capa = CAPAS[nombre]
    ids = _IdsPerezosos(gdf, capa)
    geoms = gdf.geometry.to_numpy()
    ubic = _Ubicaciones(np.where(utiles, geoms, None))
    problemas: list[Problema] = []
    if nombre == "vias" and "nombre" in gdf.columns:
        m = gdf["nombre"].isna().to_numpy()
        if m.any():
            # VALOR_FALTANTE ya lo dice en general; aquí con el código propio de la regla
            problemas += _problemas("VIA_SIN_NOMBRE", "error", "vias", ids[m],
                                    "La vía no tiene nombre: sin él no se puede asignar frontis "
                                    "ni micro-ruta. Escriba el nombre (Jr. Grau).", ubic[m])
    if nombre == "vias":
        m = sin_ancho(gdf)
        if m.any():
            defecto = np.char.mod("%g", ancho_por_tipo(gdf[m], config))
            tipo = gdf.get("tipo", pd.Series(index=gdf.index, dtype=object))[m]
            tipo = tipo.astype(object).where(tipo.notna(), "sin tipo")
            problemas += _problemas(
                "VIA_SIN_ANCHO", "aviso", "vias", ids[m],
                [f"La vía no tiene ancho_m: se mide con el ancho por defecto de su tipo ({t}: "
                 f"{a} m). Si la calle es más ancha, los predios que dan a ella pueden quedar "
                 "sin frontis: complete ancho_m o estímelo con 'catastro importar … --capa vias "
                 "--estimar-ancho'." for t, a in zip(tipo, defecto)], ubic[m])
    if nombre == "sectores_barrido" and "frecuencia_semanal" in gdf.columns:
        f = gdf["frecuencia_semanal"]
        m = (f.notna() & ((f < 1) | (f > 7))).to_numpy()
        if m.any():
            problemas += _problemas("FRECUENCIA_INVALIDA", "error", nombre, ids[m],
                                    [f"Frecuencia semanal {v} fuera de 1 a 7 días." for v in f[m]],
                                    ubic[m])
    if nombre == "zonas_recoleccion" and "zona" in gdf.columns:
        z = gdf["zona"]
        m = (z.notna() & ~z.isin(ZONAS_RECOLECCION)).to_numpy()
        if m.any():
            problemas += _problemas("ZONA_DESCONOCIDA", "error", nombre, ids[m],
                                    [f"Zona '{v}' desconocida: use A o B." for v in z[m]], ubic[m])
        idx = np.flatnonzero(utiles)
        g = geoms[idx]
        a, b = shapely.STRtree(g).query(g, predicate="intersects")
        sel = a < b
        a, b = a[sel], b[sel]
        if len(a):
            area = shapely.area(shapely.intersection(g[a], g[b]))
            sel = area > config.tolerancia_solape_m2
            for i, j, ar in zip(a[sel], b[sel], area[sel]):
                problemas.append(Problema(
                    "ZONAS_SOLAPADAS", "error", nombre, str(ids[idx[i]]),
                    f"La zona se superpone {ar:,.1f} m² con la zona {ids[idx[j]]}: un predio no "
                    "puede estar en dos zonas de recolección. Corrija los límites.",
                    _ubicaciones(np.array([shapely.intersection(g[i], g[j])]))[0]))
    return problemas


# ---------------------------------------------------------------------------------------------
# Entrada principal


def validar(ruta: str | Path, config: Config = CONFIG, progreso=None) -> Informe:
    """Valida un almacén de capas (GeoPackage) contra el esquema.

    Lanza ``ErrorLectura`` (salida 2) si el archivo no existe o no se puede abrir; todo lo
    demás se informa como ``Problema`` en el ``Informe`` devuelto.

    ``progreso``: función opcional ``progreso(descripcion)`` llamada al empezar cada capa.
    """
    ruta = Path(ruta)
    presentes = set(listar_capas(ruta))  # ErrorLectura si no se puede abrir
    informe = Informe(ruta)
    for capa in CAPAS.values():
        if capa.nombre not in presentes:
            if capa.obligatoria:
                informe.problemas.append(Problema(
                    "CAPA_FALTANTE", "error", capa.nombre, "",
                    f"Falta la capa obligatoria '{capa.nombre}' ({capa.descripcion}). "
                    f"Impórtela con 'catastro importar ORIGEN --capa {capa.nombre} "
                    f"--destino {ruta}'."))
            continue
        if progreso:
            progreso(f"Validando {capa.nombre}")
        gdf, probs = leer_tolerante(ruta, capa.nombre)
        informe.problemas += probs
        if gdf is None:
            continue
        informe.conteos[capa.nombre] = len(gdf)
        faltan = [c.nombre for c in capa.columnas if c.obligatoria and c.nombre not in gdf.columns]
        for c in faltan:
            informe.problemas.append(Problema(
                "COLUMNA_FALTANTE", "error", capa.nombre, "",
                f"Falta la columna obligatoria '{c}' ({capa.columna(c).descripcion}). Agréguela "
                f"o impórtela con --mapeo {c}=SU_COLUMNA."))
        gdf, probs = convertir_columnas(gdf, capa)
        informe.problemas += probs
        gdf, probs = _comprobar_crs(gdf, capa.nombre, config)
        informe.problemas += probs
        if gdf is None:
            continue
        informe.capas[capa.nombre] = gdf

    for nombre, gdf in informe.capas.items():
        if nombre == "predios":
            continue
        utiles, probs = _comprobar_geometrias(gdf, CAPAS[nombre])
        informe.problemas += probs
        informe.problemas += _comprobar_otras(nombre, gdf, utiles, config)
    if "predios" in informe.capas:
        if progreso:
            progreso("Comprobando predios (solapes, límites)")
        gdf = informe.capas["predios"]
        utiles, probs = _comprobar_geometrias(gdf, CAPAS["predios"])
        informe.problemas += probs
        informe.problemas += _comprobar_predios(gdf, utiles, config, informe.capas.get("distrito"))
    return informe
