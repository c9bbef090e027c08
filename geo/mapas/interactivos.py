"""Mapas interactivos (folium + Leaflet) que se abren desde el disco, sin red.

folium arma la página (mapa, grupos de capas, control de capas). Su plantilla por defecto trae
Leaflet, jQuery, Bootstrap y Awesome Markers de CDNs: aquí se quitan todos y se incrustan
Leaflet (versionado en el paquete, ver :mod:`geo.mapas.recursos`) y nuestro ``mapa.js``.
Las capas viajan como un JSON incrustado (``<script type="application/json">``) que
``mapa.js`` convierte en elementos de Leaflet; los popups se arman con ``textContent``, así que
ningún valor de los datos se interpreta como HTML.

Geometrías: simplificadas en metros (``TOLERANCIA_M``, conservando la topología de cada
geometría), reproyectadas a EPSG:4326 **solo aquí** y con coordenadas redondeadas a
``DECIMALES`` decimales (1e-6° ≈ 0,11 m).
"""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path
from typing import ClassVar

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from pyproj import Transformer

from geo.capas import archivo_atomico
from geo.mapas import recursos
from geo.mapas.temas import GRIS, Capa, Tema

log = logging.getLogger(__name__)

TOLERANCIA_M = 0.2
"""Tolerancia de simplificación (m, CRS métrico): por debajo de lo que se ve a zoom 19."""
DECIMALES = 6
"""Decimales de grado en las coordenadas publicadas (≈ 0,11 m)."""
CRS_WEB = "EPSG:4326"
_EXTERNO = re.compile(
    r"<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE)


class MapaSinRed(folium.Map):
    """``folium.Map`` sin los recursos de CDN de su plantilla (se incrustan aparte)."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []


class _Dibujo(MacroElement):
    """Llama a ``catastroMapa`` con el mapa, sus grupos de capas y el JSON incrustado."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            catastroMapa(
                {{ this._parent.get_name() }},
                { {%- for id, fg in this.grupos.items() %}{{ id|tojson }}: {{ fg }},{% endfor %} },
                JSON.parse(document.getElementById("catastro-datos").textContent)
            );
        {% endmacro %}
    """)

    def __init__(self, grupos: dict[str, str]):
        super().__init__()
        self._name = "CatastroDibujo"
        self.grupos = grupos


class _Crudo(Element):
    """HTML tal cual. ``branca.Element(texto)`` compila el texto como plantilla Jinja: con
    datos dentro, una dirección con «{{ … }}» o «{% … %}» se evaluaría (o rompería la
    página), y con megas de JSON el lexer de Jinja tarda segundos."""

    def __init__(self, texto: str):
        super().__init__()
        self._texto = texto

    def render(self, **kwargs) -> str:
        return self._texto


def json_seguro(texto: str) -> str:
    """JSON apto para ir dentro de ``<script>``: sin ``<``, ``>`` ni ``&`` literales.

    Un valor como ``</script><script>alert(1)</script>`` no puede cerrar el bloque: queda
    como ``\\u003c/script\\u003e…`` y ``JSON.parse`` lo devuelve como texto.
    """
    return (texto.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def geometrias_web(geoms: np.ndarray, crs, tolerancia_m: float = TOLERANCIA_M,
                   decimales: int = DECIMALES) -> list[str]:
    """GeoJSON (texto) de cada geometría: simplificada en metros, en EPSG:4326, redondeada.

    ``preserve_topology=True`` conserva la validez de cada geometría (no la arista común
    entre vecinos: con 0,2 m la diferencia no se ve ni a zoom 20).
    """
    if len(geoms) == 0:
        return []
    g = shapely.simplify(geoms, tolerancia_m, preserve_topology=True)
    a_web = Transformer.from_crs(crs, CRS_WEB, always_xy=True)

    def proyectar(xy: np.ndarray) -> np.ndarray:  # una sola pasada: reproyecta y redondea
        x, y = a_web.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([x, y]), decimales)

    return list(shapely.to_geojson(shapely.transform(g, proyectar)))


def _capa_json(capa: Capa, crs, cache: dict | None = None) -> str:
    # las huellas de predios son las mismas en todos los temas: se convierten una vez
    clave = id(capa.geometrias)
    if cache is not None and clave in cache:
        geom = cache[clave][1]
    else:
        geom = geometrias_web(capa.geometrias, crs)
        if cache is not None:
            cache[clave] = (capa.geometrias, geom)  # guarda el arreglo: su id no se recicla
    leyenda = [[c.etiqueta, c.color] for c in capa.clases]
    if capa.clases and (capa.clase < 0).any():
        leyenda.append(["Sin dato", GRIS])
    meta = {
        "id": capa.id, "nombre": capa.nombre, "tipo": capa.tipo, "visible": capa.visible,
        "buscable": capa.buscable, "estilo": capa.estilo,
        "titulo_leyenda": capa.titulo_leyenda, "leyenda": leyenda,
        "colores": [c.color for c in capa.clases] + ([GRIS] if capa.clases else []),
        "campos": [[etiqueta, fmt] for _, etiqueta, fmt in capa.campos],
        "clase": capa.clase.astype(int).tolist(),
        "elemento": (None if len(capa.filas) == len(geom)
                     and (capa.elemento == np.arange(len(geom))).all()
                     else capa.elemento.astype(int).tolist()),
    }
    partes = json.dumps(meta, ensure_ascii=False)[:-1]
    filas = capa.filas[[c for c, _, _ in capa.campos]].to_json(
        orient="values", force_ascii=False, double_precision=6)
    return f'{partes},"filas":{filas},"geom":[{",".join(geom)}]}}'


def datos_json(tema: Tema, crs, titulo_ordenanza: str, fuente: str, encuadre,
               cache: dict | None = None) -> str:
    """El JSON incrustado de un mapa (capas, leyendas, títulos), ya seguro para ``<script>``."""
    cab = json.dumps({"titulo": tema.titulo, "subtitulo": titulo_ordenanza,
                      "indice": "index.html", "fuente": fuente, "encuadre": encuadre},
                     ensure_ascii=False)[:-1]
    capas = ",".join(_capa_json(c, crs, cache) for c in tema.capas)
    return json_seguro(f'{cab},"capas":[{capas}]}}')


def encuadre_web(geoms: np.ndarray, crs) -> list[list[float]]:
    """Límites ``[[sur, oeste], [norte, este]]`` en grados de un conjunto de geometrías."""
    x0, y0, x1, y1 = gpd.GeoSeries(geoms, crs=crs).to_crs(CRS_WEB).total_bounds
    return [[round(float(y0), 6), round(float(x0), 6)], [round(float(y1), 6), round(float(x1), 6)]]


def html_mapa(tema: Tema, crs, titulo_ordenanza: str, fuente: str,
              cache: dict | None = None) -> str:
    """La página HTML completa y autónoma de un tema.

    ``cache`` (un dict vacío compartido entre temas) evita convertir dos veces las mismas
    geometrías.
    """
    base = next((c for c in tema.capas if c.id == "predios"), tema.capas[-1])
    encuadre = encuadre_web(base.geometrias if len(base.geometrias)
                            else np.concatenate([c.geometrias for c in tema.capas]), crs)
    centro = [(encuadre[0][0] + encuadre[1][0]) / 2, (encuadre[0][1] + encuadre[1][1]) / 2]

    figura = Figure(title=html.escape(f"{tema.titulo} · {titulo_ordenanza}"))
    mapa = MapaSinRed(location=centro, zoom_start=15, tiles=None, prefer_canvas=True,
                      control_scale=False, max_zoom=22, zoom_snap=0.25)
    figura.add_child(mapa)
    cab = figura.header
    cab.add_child(_Crudo('<meta charset="utf-8">'), name="charset", index=0)
    cab.add_child(_Crudo(f"<style>{recursos.leaflet_css()}</style>"), name="leaflet_css")
    cab.add_child(_Crudo(f"<script>{recursos.leaflet_js()}</script>"), name="leaflet_js")
    cab.add_child(_Crudo(f"<style>{recursos.propio('mapa.css')}</style>"), name="catastro_css")
    cab.add_child(_Crudo(f"<script>{recursos.propio('mapa.js')}</script>"), name="catastro_js")
    grupos = {}
    for capa in tema.capas:
        fg = folium.FeatureGroup(name=html.escape(capa.nombre), show=capa.visible)
        fg.add_to(mapa)
        grupos[capa.id] = fg.get_name()
    datos = datos_json(tema, crs, titulo_ordenanza, fuente, encuadre, cache)
    figura.html.add_child(_Crudo(
        f'<script type="application/json" id="catastro-datos">{datos}</script>'))
    mapa.add_child(_Dibujo(grupos))
    folium.LayerControl(collapsed=False, position="topright").add_to(mapa)
    pagina = figura.render().replace("<html>", '<html lang="es">', 1)
    externos = _EXTERNO.findall(pagina)
    if externos:  # defensa: una versión nueva de folium podría volver a traer un CDN
        raise RuntimeError(f"El mapa '{tema.titulo}' pide recursos de la red: {externos[:3]}")
    return pagina


def escribir_html(texto: str, destino: Path) -> Path:
    with archivo_atomico(destino) as tmp:
        tmp.write_text(texto, encoding="utf-8")
    return destino


def html_indice(temas: list[Tema], titulo_ordenanza: str, fuente: str,
                imprimibles: dict[str, list[Path]] | None = None,
                anexo: Path | None = None) -> str:
    """``index.html``: enlaces a cada mapa (y a sus láminas imprimibles, si las hay)."""
    e = html.escape
    enlace_anexo = (f'<p><a href="{e(anexo.name)}">Anexo de mapas en PDF (todas las láminas '
                    'A3)</a></p>' if anexo else "")
    filas = []
    for t in temas:
        extra = ""
        for ruta in (imprimibles or {}).get(t.archivo, []):
            urbano = " zona urbana" if ruta.stem.endswith("-urbano") else ""
            extra += (f' · <a href="{e(ruta.name)}">{e(ruta.suffix[1:].upper())} A3'
                      f'{urbano}</a>')
        filas.append(f'<li><a href="{e(t.archivo)}">{e(t.titulo)}</a>{extra}'
                     f'<br><span>{e(t.descripcion)}</span></li>')
    return f"""<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mapas · {e(titulo_ordenanza)}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; max-width: 860px; margin: 2em auto;
       padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.5em; margin-bottom: 0.2em; }}
li {{ margin: 0.8em 0; }} li a {{ font-weight: bold; }} li span {{ color: #555; }}
footer {{ margin-top: 2em; font-size: 0.85em; color: #666; }}
</style>
</head>
<body>
<h1>Mapas de arbitrios municipales</h1>
<p>{e(titulo_ordenanza)}</p>
<ul>
{chr(10).join(filas)}
</ul>
{enlace_anexo}
<footer>{e(fuente)}. Los mapas se abren sin conexión a internet.</footer>
</body>
</html>
"""
