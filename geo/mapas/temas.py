"""Los temas de los mapas publicables: qué capas, qué colores, qué campos en cada popup.

Los mapas interactivos (:mod:`geo.mapas.interactivos`) y los imprimibles
(:mod:`geo.mapas.imprimibles`) dibujan los mismos temas, así que colores, clases y leyendas se
deciden una sola vez aquí. Todo sigue en el CRS métrico de entrada (EPSG:32718); la
reproyección a EPSG:4326 ocurre solo en el código del mapa interactivo.

Los predios se dibujan por **huella**: las unidades en propiedad horizontal comparten la
geometría del predio matriz, así que se dibuja una huella y su popup lista las unidades.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.colors import to_hex

from geo.capas import exigir_metrico
from geo.errores import ErrorCRS, ErrorDatos
from geo.esquema import COLUMNAS_PERSONALES, USOS, exigir_sin_personales
from geo.proximidad import CATEGORIAS

log = logging.getLogger(__name__)

GRIS = "#b0b0b0"
"""Color de «sin dato» en todas las leyendas."""
MONTOS = ["barrido_mensual", "recoleccion_mensual", "parques_mensual", "serenazgo_mensual",
          "exoneracion", "total_mensual", "total_anual"]
COLORES_CATEGORIA = {"A": "#1a7f37", "B": "#7fc97f", "C": "#fdc086", "D": "#bdbdbd"}
COLORES_ZONA = {"A": "#3b78c2", "B": "#e08b2e"}
MESES = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic"]
_MORA_MES = re.compile(r"^mora_pct_(\d{4})_(\d{2})$")


@dataclass(frozen=True)
class Clase:
    """Una entrada de leyenda: el color y su texto."""

    etiqueta: str
    color: str


@dataclass
class Capa:
    """Una capa de un tema, lista para dibujar.

    Attributes
    ----------
    id : identificador corto (``predios``, ``vias``…), también para el JS.
    nombre : nombre para la persona (control de capas y leyenda).
    tipo : ``"poligono"`` o ``"linea"``.
    geometrias : una geometría por elemento dibujado (CRS métrico).
    clase : índice en ``clases`` de cada elemento dibujado; -1 = sin clase (gris).
    clases : leyenda de la capa; vacía = capa de un solo color (``estilo["color"]``).
    filas : atributos por registro (columnas = ``campos``); un registro por elemento salvo en
        predios, donde hay uno por unidad catastral.
    elemento : para cada fila, el índice del elemento (huella) donde se dibuja.
    campos : ``(columna, etiqueta, formato)``; formato ``texto``, ``entero``, ``m``, ``m2``,
        ``soles``, ``pct``, ``real``. El primero es el que se busca (predios) y el del tooltip.
    estilo : opciones de trazo (``color``, ``weight``, ``fillOpacity``, ``dashArray``…).
    visible : si se muestra al abrir el mapa.
    buscable : si el buscador por código catastral la usa (la de predios).
    rotulos : texto a rotular en el mapa imprimible por elemento, o ``None``.
    """

    id: str
    nombre: str
    tipo: str
    geometrias: np.ndarray
    clase: np.ndarray
    clases: list[Clase]
    filas: pd.DataFrame
    elemento: np.ndarray
    campos: list[tuple[str, str, str]]
    estilo: dict = field(default_factory=dict)
    titulo_leyenda: str = ""
    visible: bool = True
    buscable: bool = False
    rotulos: np.ndarray | None = None

    def color_de(self) -> np.ndarray:
        """Color (hex) de cada elemento dibujado."""
        if not self.clases:
            return np.full(len(self.geometrias), self.estilo.get("color", GRIS), dtype=object)
        colores = np.array([c.color for c in self.clases] + [GRIS], dtype=object)
        return colores[np.where(self.clase < 0, len(self.clases), self.clase)]


@dataclass
class Tema:
    """Un mapa publicable: nombre de archivo, título y capas (de abajo hacia arriba)."""

    archivo: str
    titulo: str
    descripcion: str
    capas: list[Capa]
    nota: str = ""


# ---------------------------------------------------------------- utilidades


def numero(serie: pd.Series) -> pd.Series:
    """Convierte a float montos que llegan como Decimal, float o texto (vacío → NaN)."""
    if pd.api.types.is_numeric_dtype(serie):
        return serie.astype(float)
    return pd.to_numeric(serie.astype("string").str.strip().replace("", pd.NA),
                         errors="coerce").astype(float)


def texto(serie: pd.Series) -> pd.Series:
    """Texto limpio: NaN/None → vacío; enteros guardados como float sin ``.0``."""
    if pd.api.types.is_float_dtype(serie):
        enteros = serie.dropna()
        if len(enteros) and (enteros == enteros.round()).all():
            serie = serie.astype("Int64")
    return serie.astype("string").fillna("").astype(object)


def paleta(n: int) -> list[str]:
    """``n`` colores cualitativos distinguibles (tab10 y luego tab20)."""
    base = [to_hex(c) for c in colormaps["tab10"].colors]
    if n > 10:
        base += [to_hex(c) for c in colormaps["tab20"].colors[1::2]]
        base += [to_hex(c) for c in colormaps["Set3"].colors]
    return [base[i % len(base)] for i in range(n)]


def _orden_natural(valores) -> list[str]:
    """Ordena sectores tipo 1, 2, 10 o I, II, VIII o nombres: números primero, luego romanos."""
    romanos = {r: i for i, r in enumerate(
        ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"], 1)}

    def clave(v: str):
        if v.isdigit():
            return (0, int(v), v)
        if v.upper() in romanos:
            return (1, romanos[v.upper()], v)
        return (2, 0, v)

    return sorted({str(v) for v in valores if str(v) != ""}, key=clave)


def categorica(valores: pd.Series, colores: dict[str, str] | None = None,
               etiquetas: dict[str, str] | None = None) -> tuple[np.ndarray, list[Clase]]:
    """Clases de una columna categórica: índice por elemento (-1 si vacío) y leyenda."""
    v = texto(valores)
    presentes = _orden_natural(v.unique())  # ordenar los valores distintos, no cada predio
    orden = [k for k in (colores or {}) if k in presentes]
    orden += [x for x in presentes if x not in orden]
    libres = iter(paleta(len(orden)))
    tonos = [(colores or {}).get(k) or next(libres) for k in orden]
    indice = {k: i for i, k in enumerate(orden)}
    clase = v.map(indice).fillna(-1).astype(int).to_numpy()
    etiquetas = etiquetas or {}
    return clase, [Clase(etiquetas.get(k, k), t) for k, t in zip(orden, tonos)]


def soles(x: float) -> str:
    """Monto en soles con el formato peruano: ``S/ 1,234.50``."""
    return f"S/ {x:,.2f}"


def porcentaje(x: float) -> str:
    """Porcentaje con dos decimales: ``12.50 %``."""
    return f"{x:,.2f} %"


def por_intervalos(valores: np.ndarray, k: int = 5,
                   formato=soles) -> tuple[np.ndarray, list[Clase]]:
    """Clases por cuantiles (mapclassify.Quantiles, determinista) con límites en S/ o en %.

    Los límites repetidos (muchos predios con el mismo monto) se funden, así que puede haber
    menos de ``k`` clases. NaN → -1. ``formato`` escribe cada límite (``soles`` o
    ``porcentaje``).
    """
    ok = np.isfinite(valores)
    clase = np.full(len(valores), -1, dtype=int)
    if not ok.any():
        return clase, []
    y = valores[ok]
    k = max(1, min(k, len(np.unique(y))))
    if k == 1:
        limites = np.array([y.max()])
    else:
        with warnings.catch_warnings():  # cuantiles repetidos: se funden abajo
            warnings.simplefilter("ignore", UserWarning)
            limites = np.unique(mapclassify.Quantiles(y, k=k).bins)
    clase[ok] = mapclassify.UserDefined(y, limites).yb
    inferior = np.r_[y.min(), limites[:-1]]
    colores = [to_hex(colormaps["YlOrRd"](t)) for t in np.linspace(0.15, 0.95, len(limites))]
    clases = [Clase(f"{formato(a)} – {formato(b)}", c)
              for a, b, c in zip(inferior, limites, colores)]
    return clase, clases


def exigir_crs(capas: dict[str, gpd.GeoDataFrame], referencia: str = "predios") -> None:
    """Todas las capas con CRS métrico e igual al de ``referencia``; si no, dice ambos CRS."""
    crs = capas[referencia].crs
    for nombre, gdf in capas.items():
        if gdf is None or not isinstance(gdf, gpd.GeoDataFrame):
            continue
        exigir_metrico(gdf, nombre)
        if gdf.crs != crs:
            raise ErrorCRS(
                f"La capa '{nombre}' está en {gdf.crs.to_string()} y '{referencia}' en "
                f"{crs.to_string()}: reproyecte todas al mismo CRS métrico (EPSG:32718).",
                "CRS_DISTINTO")


def _vacia(capas, nombre) -> bool:
    g = capas.get(nombre)
    return g is None or len(g) == 0


# ---------------------------------------------------------------- predios por huella


@dataclass
class Huellas:
    """Predios agrupados por geometría (unidades en propiedad horizontal = una huella)."""

    geometrias: np.ndarray  # una por huella
    elemento: np.ndarray  # para cada predio (fila), su huella
    predios: pd.DataFrame  # atributos por predio, ordenados por huella y código

    def por_huella(self, clase_predio: np.ndarray, mixto: Clase | None,
                   clases: list[Clase]) -> tuple[np.ndarray, list[Clase]]:
        """Clase de cada huella: la de sus unidades; si difieren, ``mixto`` (si se da)."""
        n = len(self.geometrias)
        mn = np.full(n, np.iinfo(int).max)
        mx = np.full(n, np.iinfo(int).min)
        np.minimum.at(mn, self.elemento, clase_predio)
        np.maximum.at(mx, self.elemento, clase_predio)
        clase = mn.copy()
        if mixto is not None and (mn != mx).any():
            clases = clases + [mixto]
            clase[mn != mx] = len(clases) - 1
        return clase, clases


def agrupar_huellas(predios: gpd.GeoDataFrame) -> Huellas:
    """Agrupa los predios por geometría idéntica (vectorizado sobre WKB normalizado)."""
    geoms = predios.geometry.to_numpy()
    validas = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    p = predios.loc[validas]
    geoms = geoms[validas]
    if (~validas).any():
        log.warning("%d predios sin geometría no se dibujan", int((~validas).sum()))
    wkb = shapely.to_wkb(shapely.normalize(geoms))
    codigos, _ = pd.factorize(pd.Series(wkb, dtype=object), sort=False)
    orden = np.lexsort((p["codigo"].astype(str).to_numpy(), codigos))
    primera = np.unique(codigos, return_index=True)[1]
    atributos = pd.DataFrame(p.drop(columns=p.geometry.name)).iloc[orden].reset_index(drop=True)
    return Huellas(geometrias=geoms[primera], elemento=codigos[orden], predios=atributos)


# ---------------------------------------------------------------- campos comunes

_CAMPOS_PREDIO = [("codigo", "Código catastral", "texto"), ("direccion", "Dirección", "texto")]
_CAMPOS_PERSONALES = [("contribuyente", "Contribuyente", "texto"),
                      ("documento", "DNI/RUC", "texto")]


def _campos_predio(extra: list[tuple[str, str, str]], personales: bool,
                   disponibles) -> list[tuple[str, str, str]]:
    campos = _CAMPOS_PREDIO + (_CAMPOS_PERSONALES if personales else []) + extra
    campos = [c for c in campos if c[0] in disponibles]
    if not personales:
        exigir_sin_personales((c[0] for c in campos), "El mapa")
    return campos


def _filas(df: pd.DataFrame, campos) -> pd.DataFrame:
    """Solo las columnas publicables del popup, con números como float y el resto texto."""
    out = {}
    for col, _, fmt in campos:
        out[col] = numero(df[col]) if fmt in ("m", "m2", "soles", "pct", "entero", "real") else texto(df[col])
    return pd.DataFrame(out, index=df.index)


def _capa_simple(gdf: gpd.GeoDataFrame, id: str, nombre: str, tipo: str, campos,
                 clase=None, clases=None, estilo=None, titulo_leyenda="", visible=True,
                 rotulo: str | None = None) -> Capa:
    campos = [c for c in campos if c[0] in gdf.columns]
    n = len(gdf)
    return Capa(
        id=id, nombre=nombre, tipo=tipo, geometrias=gdf.geometry.to_numpy(),
        clase=np.full(n, -1) if clase is None else np.asarray(clase),
        clases=clases or [], filas=_filas(gdf, campos).reset_index(drop=True),
        elemento=np.arange(n), campos=campos, estilo=estilo or {},
        titulo_leyenda=titulo_leyenda or nombre, visible=visible,
        rotulos=None if rotulo is None else texto(gdf[rotulo]).to_numpy(),
    )


def _distrito(capas) -> list[Capa]:
    if _vacia(capas, "distrito"):
        return []
    return [_capa_simple(capas["distrito"], "distrito", "Límite del distrito", "poligono",
                         [("nombre", "Distrito", "texto")],
                         estilo={"color": "#222222", "weight": 2.5, "fill": False,
                                 "dashArray": "8 4"})]


def _capa_predios(h: Huellas, campos, clase_predio, clases, titulo_leyenda,
                  mixto: Clase | None = None, clase_huella=None) -> Capa:
    if clase_huella is None:
        clase_huella, clases = h.por_huella(clase_predio, mixto, clases)
    return Capa(
        id="predios", nombre="Predios", tipo="poligono", geometrias=h.geometrias,
        clase=clase_huella, clases=clases, filas=_filas(h.predios, campos),
        elemento=h.elemento, campos=campos,
        estilo={"color": "#555555", "weight": 0.6, "fillOpacity": 0.75},
        titulo_leyenda=titulo_leyenda, buscable=True)


# ---------------------------------------------------------------- temas


def tema_recoleccion(capas, h: Huellas, personales: bool) -> Tema:
    p = h.predios
    clase, clases = categorica(p.get("zona_recoleccion", pd.Series("", index=p.index)),
                               COLORES_ZONA, {"A": "Zona A", "B": "Zona B"})
    campos = _campos_predio([("uso_nombre", "Uso", "texto"),
                             ("zona_recoleccion", "Zona de recolección", "texto"),
                             ("sector_recoleccion", "Sector de recolección", "texto")],
                            personales, p.columns)
    lista = _distrito(capas)
    if not _vacia(capas, "zonas_recoleccion"):
        z = capas["zonas_recoleccion"]
        zc, zcl = categorica(z["zona"], COLORES_ZONA,
                             {"A": "Zona A (sectores I–VIII)", "B": "Zona B (centros poblados)"})
        lista.append(_capa_simple(z, "zonas", "Zonas de recolección", "poligono",
                                  [("zona", "Zona de recolección", "texto")], zc, zcl,
                                  {"weight": 2, "fillOpacity": 0.12}, rotulo="zona"))
    if not _vacia(capas, "sectores_recoleccion"):
        s = capas["sectores_recoleccion"]
        sc, scl = categorica(s["sector"])
        lista.append(_capa_simple(s, "sectores", "Sectores de recolección", "poligono",
                                  [("sector", "Sector", "texto"), ("zona", "Zona", "texto")],
                                  sc, scl, {"weight": 1.5, "fillOpacity": 0.18},
                                  rotulo="sector"))
    lista.append(_capa_predios(h, campos, clase, clases, "Predios por zona de recolección"))
    return Tema("zonas-recoleccion.html", "Zonas de recolección",
                "Zona A (urbana) con sus sectores I–VIII y zona B (centros poblados), con los "
                "predios según la zona que les corresponde.", lista)


def _microrutas_con_geometria(microrutas, vias) -> gpd.GeoDataFrame | None:
    """Micro-rutas con geometría: la suya o, si no tiene, la de su vía y cuadra en ``vias``."""
    if microrutas is None or len(microrutas) == 0:
        return None
    if isinstance(microrutas, gpd.GeoDataFrame) and microrutas.geometry.name in microrutas:
        return microrutas
    if vias is None:
        log.warning("Las micro-rutas no tienen geometría y no hay capa de vías: no se dibujan")
        return None
    v = vias[["nombre", "cuadra", vias.geometry.name]].copy()
    v["_cuadra"] = texto(pd.to_numeric(v["cuadra"], errors="coerce"))
    v = v.dissolve(by=["nombre", "_cuadra"], as_index=False)
    m = pd.DataFrame(microrutas).copy()
    m["_cuadra"] = texto(pd.to_numeric(m["cuadra"], errors="coerce"))
    unidas = m.merge(v[["nombre", "_cuadra", v.geometry.name]], how="left",
                     left_on=["via", "_cuadra"], right_on=["nombre", "_cuadra"])
    sin = unidas[v.geometry.name].isna()
    if sin.any():
        log.warning("%d micro-rutas sin vía y cuadra en la capa 'vias': no se dibujan",
                    int(sin.sum()))
    unidas = unidas.loc[~sin].drop(columns=["nombre", "_cuadra"])
    return gpd.GeoDataFrame(unidas, geometry=v.geometry.name, crs=vias.crs)


def tema_barrido(capas, h: Huellas, frentes, microrutas, personales: bool) -> Tema:
    p = h.predios
    sectores = set(texto(p.get("sector_barrido", pd.Series(dtype=object))).unique())
    for fuente in (capas.get("sectores_barrido"), microrutas, frentes):
        if fuente is not None and len(fuente):
            col = "sector" if "sector" in fuente.columns else "sector_barrido"
            sectores.update(texto(fuente[col]).unique())
    orden = _orden_natural(sectores)
    colores = dict(zip(orden, paleta(len(orden))))
    etiquetas = {k: f"Sector {k}" for k in colores}
    lista = _distrito(capas)
    if not _vacia(capas, "sectores_barrido"):
        s = capas["sectores_barrido"]
        c, cl = categorica(s["sector"], colores, etiquetas)
        lista.append(_capa_simple(
            s, "sectores", "Sectores de barrido", "poligono",
            [("sector", "Sector de barrido", "texto"),
             ("frecuencia_semanal", "Frecuencia (días por semana)", "entero")],
            c, cl, {"weight": 1.5, "fillOpacity": 0.10}, rotulo="sector"))
    clase, clases = categorica(p.get("sector_barrido", pd.Series("", index=p.index)),
                               colores, etiquetas)
    campos = _campos_predio([("frontis_m", "Frontis", "m"),
                             ("sector_barrido", "Sector de barrido", "texto")],
                            personales, p.columns)
    predios = _capa_predios(h, campos, clase, clases, "Predios por sector de barrido "
                            "(gris: sin frontis)")
    predios.estilo = {"color": "#777777", "weight": 0.5, "fillOpacity": 0.35}
    lista.append(predios)
    if frentes is not None and len(frentes):
        c, cl = categorica(frentes["sector_barrido"], colores, etiquetas)
        lista.append(_capa_simple(
            frentes, "frentes", "Frontis de predios", "linea",
            [("codigo", "Predio", "texto"), ("via", "Vía", "texto"),
             ("cuadra", "Cuadra", "entero"), ("sector_barrido", "Sector de barrido", "texto"),
             ("frecuencia_semanal", "Frecuencia (días por semana)", "entero"),
             ("longitud_m", "Longitud", "m")],
            c, cl, {"weight": 2.5, "opacity": 0.9}, visible=False))
    rutas = _microrutas_con_geometria(microrutas, capas.get("vias"))
    if rutas is not None:
        c, cl = categorica(rutas["sector"], colores, etiquetas)
        lista.append(_capa_simple(
            rutas, "microrutas", "Micro-rutas (vías por sector)", "linea",
            [("via", "Vía", "texto"), ("cuadra", "Cuadra", "entero"),
             ("sector", "Sector de barrido", "texto"),
             ("longitud_ml", "Longitud (ml)", "m"),
             ("frecuencia_semanal", "Frecuencia (días por semana)", "entero"),
             ("ml_semanal", "Metros lineales por semana", "m")],
            c, cl, {"weight": 4, "opacity": 0.9}, "Micro-rutas de barrido por sector"))
    elif not _vacia(capas, "vias"):
        lista.append(_capa_simple(capas["vias"], "vias", "Vías", "linea",
                                  [("nombre", "Vía", "texto"), ("cuadra", "Cuadra", "entero")],
                                  estilo={"color": "#444444", "weight": 2}))
    return Tema("sectores-barrido.html", "Sectores de barrido y micro-rutas",
                "Vías de cada micro-ruta coloreadas por sector de barrido, con los metros "
                "lineales y la frecuencia por vía y cuadra.", lista)


def tema_parques(capas, h: Huellas, personales: bool, umbral_cerca_m: float) -> Tema:
    p = h.predios
    nombres = {k: f"{k}: {v}" for k, v in CATEGORIAS.items()}
    clase, clases = categorica(p.get("categoria_parques", pd.Series("", index=p.index)),
                               COLORES_CATEGORIA, nombres)
    campos = _campos_predio([("categoria_parques", "Categoría de parques", "texto"),
                             ("area_verde_cercana", "Área verde más cercana", "texto"),
                             ("distancia_area_verde_m", "Distancia al área verde", "m")],
                            personales, p.columns)
    lista = _distrito(capas)
    if not _vacia(capas, "zona_urbana"):
        lista.append(_capa_simple(capas["zona_urbana"], "zona_urbana",
                                  "Zona urbana (límite entre C y D)", "poligono",
                                  [("nombre", "Zona urbana", "texto")],
                                  estilo={"color": "#7a4f9a", "weight": 2, "fill": False,
                                          "dashArray": "4 4"}))
    lista.append(_capa_predios(h, campos, clase, clases, "Predios por categoría de parques"))
    if not _vacia(capas, "areas_verdes"):
        av = capas["areas_verdes"]
        franja = shapely.union_all(shapely.buffer(av.geometry.to_numpy(), umbral_cerca_m))
        franja = gpd.GeoDataFrame({"nombre": [f"Hasta {umbral_cerca_m:g} m de un área verde"]},
                                  geometry=[franja], crs=av.crs)
        lista.append(_capa_simple(franja, "franja", f"Franja de {umbral_cerca_m:g} m",
                                  "poligono", [("nombre", "Franja", "texto")],
                                  estilo={"color": "#2e7d32", "weight": 1.5, "fillOpacity": 0.05,
                                          "dashArray": "6 4", "interactive": False}))
        lista.append(_capa_simple(av, "areas_verdes", "Áreas verdes", "poligono",
                                  [("nombre", "Nombre", "texto"), ("tipo", "Tipo", "texto"),
                                   ("area_mantenimiento_m2", "Área de mantenimiento", "m2")],
                                  estilo={"color": "#0b5d1e", "weight": 1, "fillColor": "#2ca02c",
                                          "fillOpacity": 0.8}))
    return Tema("parques-jardines.html", "Parques y jardines",
                f"Áreas verdes mantenidas, la franja de {umbral_cerca_m:g} m y los predios por "
                "categoría: A frente, B cerca, C lejos (zona urbana), D no comprendidos.", lista)


def tema_arbitrios(capas, h: Huellas, personales: bool) -> Tema:
    p = h.predios
    total = numero(p["total_mensual"]).to_numpy()
    por_huella = np.zeros(len(h.geometrias))
    np.add.at(por_huella, h.elemento, np.nan_to_num(total))
    con_dato = np.zeros(len(h.geometrias), dtype=bool)
    np.logical_or.at(con_dato, h.elemento, np.isfinite(total))
    por_huella[~con_dato] = np.nan
    clase, clases = por_intervalos(por_huella)
    campos = _campos_predio(
        [("uso_nombre", "Uso", "texto"), ("zona_recoleccion", "Zona de recolección", "texto"),
         ("sector_barrido", "Sector de barrido", "texto"),
         ("categoria_parques", "Categoría de parques", "texto"),
         ("frontis_m", "Frontis", "m"), ("area_construida_m2", "Área construida", "m2"),
         ("barrido_mensual", "Barrido de calles (mes)", "soles"),
         ("recoleccion_mensual", "Recolección de residuos (mes)", "soles"),
         ("parques_mensual", "Parques y jardines (mes)", "soles"),
         ("serenazgo_mensual", "Serenazgo (mes)", "soles"),
         ("exoneracion", "Exoneración (mes)", "soles"),
         ("total_mensual", "Total mensual", "soles"),
         ("total_anual", "Total anual", "soles")], personales, p.columns)
    lista = _distrito(capas)
    lista.append(_capa_predios(h, campos, None, clases,
                               "Total mensual por predio (en propiedad horizontal, suma "
                               "de las unidades)", clase_huella=clase))
    return Tema("arbitrios.html", "Arbitrios por predio",
                "Total mensual de arbitrios por predio en cinco clases por cuantiles (el "
                "mapa interactivo muestra el detalle por servicio de cada predio).", lista)


def tema_serenazgo(capas, h: Huellas, personales: bool) -> Tema:
    p = h.predios
    usos = {str(k): f"{k} {v}" for k, v in USOS.items()}
    colores = dict(zip(usos, paleta(len(usos))))
    clase, clases = categorica(texto(numero(p["uso"])) if "uso" in p else
                               pd.Series("", index=p.index), colores, usos)
    campos = _campos_predio([("uso_nombre", "Uso", "texto"), ("subuso", "Subuso", "texto"),
                             ("zona_serenazgo", "Zona de serenazgo", "texto"),
                             ("barrio", "Barrio", "texto")], personales, p.columns)
    lista = _distrito(capas)
    if not _vacia(capas, "zonas_serenazgo"):
        z = capas["zonas_serenazgo"]
        c, cl = categorica(z["zona"])
        lista.append(_capa_simple(z, "zonas", "Zonas de serenazgo", "poligono",
                                  [("zona", "Zona", "texto"),
                                   ("indice_peligrosidad", "Índice de peligrosidad", "real")],
                                  c, cl, {"weight": 2.5, "fillOpacity": 0.12}, rotulo="zona"))
    lista.append(_capa_predios(h, campos, clase, clases, "Predios por uso",
                               mixto=Clase("Varios usos (propiedad horizontal)", "#6a3d9a")))
    return Tema("serenazgo.html", "Serenazgo",
                "Zonas de serenazgo y uso de los predios.", lista)


def tema_mora(capas, mora: gpd.GeoDataFrame) -> Tema:
    """Coroplético de la mora acumulada por barrio (``mora_pct``, clases por cuantiles).

    ``mora`` es la capa de :func:`geo.cobranza.mora.capa_mora_barrios`: polígonos de barrio con
    ``barrio``, ``mora_pct`` y, si están, ``emitido``, ``insoluto`` (S/), ``predios_morosos``
    y una ``mora_pct_AAAA_MM`` por mes vencido. El popup lleva esos montos y la mora mes a mes;
    el tooltip, el nombre del barrio. Nada por predio ni por contribuyente.
    """
    meses = sorted(c for c in mora.columns if _MORA_MES.match(c))
    campos = [("barrio", "Barrio", "texto"), ("mora_pct", "Mora acumulada", "pct"),
              ("emitido", "Emitido vencido", "soles"), ("insoluto", "Insoluto vencido", "soles"),
              ("predios_morosos", "Predios morosos", "entero")]
    for c in meses:
        anio, mes = _MORA_MES.match(c).groups()
        campos.append((c, f"Mora {MESES[int(mes) - 1]}. {anio}", "pct"))
    pct = numero(mora["mora_pct"]).round(2)
    clase, clases = por_intervalos(pct.to_numpy(), formato=porcentaje)
    capa = _capa_simple(mora, "barrios", "Mora por barrio", "poligono", campos, clase, clases,
                        {"color": "#4d4d4d", "weight": 1.2, "fillOpacity": 0.75},
                        "Mora acumulada (insoluto vencido / emitido vencido)")
    # la lámina no tiene popups: el rótulo lleva el barrio y su porcentaje
    nombres = texto(mora["barrio"])
    capa.rotulos = nombres.where(pct.isna(), nombres + "\n" + pct.map(
        porcentaje, na_action="ignore")).to_numpy()
    desde_hasta = ""
    if meses:
        primero, ultimo = (_MORA_MES.match(c).groups() for c in (meses[0], meses[-1]))
        desde_hasta = (f" de {MESES[int(primero[1]) - 1]}. {primero[0]} a "
                       f"{MESES[int(ultimo[1]) - 1]}. {ultimo[0]}")
    return Tema("mora-barrios.html", "Mora por barrio",
                "Parte de lo emitido y ya vencido que sigue impaga (insoluto) en cada barrio, "
                f"acumulada{desde_hasta}, en clases por cuantiles; en gris, barrios sin cuotas "
                "vencidas. El mapa interactivo muestra la mora mes a mes de cada barrio.",
                _distrito(capas) + [capa])


def _validar_mora(mora) -> None:
    if not isinstance(mora, gpd.GeoDataFrame):
        raise ErrorDatos(f"La capa de mora debe ser un GeoDataFrame (polígonos de barrio); se "
                         f"recibió {type(mora).__name__}. Use "
                         "geo.cobranza.mora.capa_mora_barrios.", "TIPO_INVALIDO")
    faltan = [c for c in ("barrio", "mora_pct") if c not in mora.columns]
    if faltan:
        raise ErrorDatos(f"La capa de mora no tiene las columnas {', '.join(faltan)}. Use "
                         "geo.cobranza.mora.capa_mora_barrios.", "COLUMNA_FALTANTE")


def construir_temas(capas, predios, frentes, microrutas, arbitrios,
                    incluir_datos_personales: bool = False,
                    umbral_cerca_m: float = 100.0,
                    mora: gpd.GeoDataFrame | None = None) -> list[Tema]:
    """Los temas publicables a partir de las capas, los predios derivados y los arbitrios.

    ``arbitrios`` puede faltar (``None``): entonces no hay mapa de arbitrios. ``mora`` (la capa
    de :func:`geo.cobranza.mora.capa_mora_barrios`, mismo CRS que los predios) agrega el mapa
    «Mora por barrio».
    """
    if predios is None or "codigo" not in predios.columns:
        raise ErrorDatos("Para publicar mapas hace falta la capa de predios derivados con la "
                         "columna 'codigo'. Ejecute 'catastro derivar' antes.", "COLUMNA_FALTANTE")
    if len(predios) == 0:
        raise ErrorDatos("La capa de predios está vacía: no hay nada que publicar.",
                         "CAPA_VACIA")
    todas = {k: v for k, v in capas.items() if isinstance(v, gpd.GeoDataFrame)}
    todas["predios"] = predios
    if isinstance(frentes, gpd.GeoDataFrame) and len(frentes):
        todas["frentes"] = frentes
    if isinstance(microrutas, gpd.GeoDataFrame) and microrutas.geometry.name in microrutas:
        todas["microrutas"] = microrutas
    if mora is not None:
        _validar_mora(mora)
        todas["mora"] = mora
    exigir_crs(todas)
    p = predios
    if not incluir_datos_personales:
        p = p.drop(columns=[c for c in COLUMNAS_PERSONALES if c in p.columns])
    if arbitrios is not None:
        faltan = [c for c in ["codigo", *MONTOS] if c not in arbitrios.columns]
        if faltan:
            raise ErrorDatos(f"La tabla de arbitrios no tiene las columnas {', '.join(faltan)}.",
                             "COLUMNA_FALTANTE")
        a = pd.DataFrame(arbitrios).drop(columns=[c for c in COLUMNAS_PERSONALES
                                                  if c in arbitrios.columns])
        a = a.drop_duplicates("codigo", keep="last")
        a["codigo"] = a["codigo"].astype(str)
        # columnas en ambas (uso, zona, frontis…): manda la de arbitrios, pero un predio sin
        # fila de arbitrios conserva la suya (si no, perdería su zona en los otros mapas)
        comunes = [c for c in a.columns if c != "codigo" and c in p.columns]
        p = pd.DataFrame(p).assign(codigo=p["codigo"].astype(str)).merge(
            a, on="codigo", how="left", suffixes=("", "_arbitrios"))
        for c in comunes:
            nuevo = p.pop(f"{c}_arbitrios")
            p[c] = nuevo.where(nuevo.notna(), p[c])
        p = gpd.GeoDataFrame(p, geometry=predios.geometry.name, crs=predios.crs)
        for col in MONTOS:
            p[col] = numero(p[col]).round(2)
    if "uso" in p.columns:
        uso = numero(p["uso"])
        p["uso_nombre"] = (texto(uso) + " " + uso.map(USOS).fillna("")).str.strip()
    h = agrupar_huellas(p)
    temas = [tema_recoleccion(capas, h, incluir_datos_personales),
             tema_barrido(capas, h, frentes, microrutas, incluir_datos_personales),
             tema_parques(capas, h, incluir_datos_personales, umbral_cerca_m)]
    if arbitrios is not None:
        temas.append(tema_arbitrios(capas, h, incluir_datos_personales))
    else:
        log.info("Sin tabla de arbitrios: no se publica el mapa de arbitrios por predio")
    temas.append(tema_serenazgo(capas, h, incluir_datos_personales))
    if mora is not None and len(mora):
        temas.append(tema_mora(capas, mora))
    elif mora is not None:
        log.info("La capa de mora no tiene barrios: no se publica el mapa de mora")
    return temas
