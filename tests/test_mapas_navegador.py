"""Los mapas en un Chromium de verdad, sin red: se abren desde el disco y funcionan.

Necesita el Chromium de Debian (``apt-get install chromium``) y el paquete de PyPI
``playwright`` (solo su cliente: **no** se ejecuta ``playwright install``; se usa
``/usr/bin/chromium``). Si falta alguno, las pruebas se saltan con un mensaje.

Las capturas de pantalla quedan en ``$CATASTRO_ARTEFACTOS`` (si está definida) o en la
carpeta temporal de la prueba; la ruta se imprime (``pytest -s`` o ``-rA`` para verla).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from test_mapas import (
    MAPAS,
    MORA,
    PUBLICADOS,
    XSS,
    XSS_CIERRE,
    distrito_de_prueba,
    mora_de_prueba,
    publicar,
)

pytestmark = pytest.mark.navegador

CHROMIUM = os.environ.get("CATASTRO_CHROMIUM", "/usr/bin/chromium")
ARGUMENTOS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
    # sin red: ningún nombre resuelve y todo pasaría por un proxy inexistente
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
]
CODIGO_PH = "190301-01-001-002-A"
CODIGO_B = "190301-09-001-001"


def _falta_algo() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return (f"No se encontró Chromium en {CHROMIUM}: instale el paquete de Debian "
                "'chromium' (apt-get install chromium) o defina CATASTRO_CHROMIUM.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("Falta el paquete de Python 'playwright' (pip install playwright; no hace "
                "falta 'playwright install', se usa el Chromium del sistema).")
    return None


@pytest.fixture(scope="module")
def navegador():
    motivo = _falta_algo()
    if motivo:
        if os.environ.get("CI"):  # en CI el navegador es obligatorio: .ci/run lo instala
            pytest.fail(f"CI sin navegador: {motivo}")
        pytest.skip(motivo)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTOS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def carpeta(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mapas_navegador")
    publicar(d, mora=mora_de_prueba())
    return d


@pytest.fixture(scope="module")
def artefactos(tmp_path_factory) -> Path:
    d = Path(os.environ.get("CATASTRO_ARTEFACTOS") or tmp_path_factory.mktemp("capturas"))
    d.mkdir(parents=True, exist_ok=True)
    return d


class Pagina:
    """Una pestaña que anota errores de consola, excepciones, diálogos y pedidos de red."""

    def __init__(self, navegador):
        self.contexto = navegador.new_context(viewport={"width": 1400, "height": 900})
        self.fuera: list[str] = []  # pedidos que saldrían de la máquina (se abortan)
        self.contexto.route(re.compile(r"^(https?|wss?|ftp)://"), self._abortar)
        self.p = self.contexto.new_page()
        self.errores: list[str] = []
        self.pedidos: list[str] = []
        self.dialogos: list[str] = []
        self.p.on("console", lambda m: m.type == "error" and self.errores.append(m.text))
        self.p.on("pageerror", lambda e: self.errores.append(str(e)))
        self.p.on("request", lambda r: self.pedidos.append(r.url))
        self.p.on("dialog", lambda d: (self.dialogos.append(d.message), d.dismiss()))

    def _abortar(self, ruta):
        self.fuera.append(ruta.request.url)
        ruta.abort()

    def abrir(self, archivo: Path, esperar_mapa: bool = True):
        self.p.goto(archivo.as_uri(), wait_until="load")
        if esperar_mapa:
            self.p.wait_for_function("window.catastro !== undefined", timeout=30_000)
        return self

    def sin_red(self) -> list[str]:
        """Pedidos que no son ``file://`` ni ``data:``."""
        return self.fuera + [u for u in self.pedidos if not u.startswith(("file://", "data:"))]

    def cerrar(self):
        self.contexto.close()


@pytest.fixture
def pagina(navegador):
    p = Pagina(navegador)
    yield p
    p.cerrar()


@pytest.mark.parametrize("nombre", MAPAS)
def test_mapa_abre_sin_red_y_dibuja_todos_los_predios(pagina, carpeta, artefactos, nombre):
    _, predios, *_ = distrito_de_prueba()
    huellas = len({g.wkb for g in predios.geometry})
    pagina.abrir(carpeta / nombre)
    p = pagina.p
    assert p.evaluate("typeof L === 'object' && L.version") == "1.9.4"
    assert p.evaluate("catastro.mapa instanceof L.Map")
    assert p.locator(".leaflet-container").count() == 1
    assert p.evaluate("catastro.contar('predios')") == huellas
    assert p.evaluate("catastro.unidades") == len(predios)
    # controles: capas, escala, leyenda, buscador y pantalla completa
    for selector in (".leaflet-control-layers", ".leaflet-control-scale", ".catastro-leyenda",
                     ".catastro-buscador", ".catastro-pantalla"):
        assert p.locator(selector).count() == 1, selector
    p.wait_for_timeout(300)
    captura = artefactos / nombre.replace(".html", ".png")
    p.screenshot(path=str(captura))
    print(f"captura: {captura}")
    assert pagina.errores == [], pagina.errores
    assert pagina.sin_red() == [], pagina.sin_red()
    assert pagina.dialogos == []


def test_mapa_de_mora_abre_sin_red_y_dibuja_todos_los_barrios(pagina, carpeta, artefactos):
    mora = mora_de_prueba()
    pagina.abrir(carpeta / MORA)
    p = pagina.p
    assert p.evaluate("typeof L === 'object' && L.version") == "1.9.4"
    assert p.evaluate("catastro.mapa instanceof L.Map")
    assert p.locator(".leaflet-container").count() == 1
    assert p.evaluate("catastro.contar('barrios')") == len(mora)
    for selector in (".leaflet-control-layers", ".leaflet-control-scale", ".catastro-leyenda",
                     ".catastro-pantalla"):
        assert p.locator(selector).count() == 1, selector
    leyenda = p.locator(".catastro-leyenda").inner_text()
    assert "10.00 % – 17.50 %" in leyenda and "Sin dato" in leyenda
    p.wait_for_timeout(300)
    captura = artefactos / MORA.replace(".html", ".png")
    p.screenshot(path=str(captura))
    print(f"captura: {captura}")
    # el barrio de nombre malicioso: tooltip y popup lo muestran como texto
    x, y = p.evaluate("""(() => {
        const pt = catastro.mapa.latLngToContainerPoint(
            catastro.capas.barrios.elementos[1].getBounds().getCenter());
        const caja = catastro.mapa.getContainer().getBoundingClientRect();
        return [pt.x + caja.left, pt.y + caja.top];
    })()""")
    p.mouse.move(x, y)
    p.wait_for_selector(".leaflet-tooltip")
    assert p.locator(".leaflet-tooltip").inner_text() == XSS
    p.mouse.click(x, y)
    contenido = p.locator(".leaflet-popup-content")
    texto = contenido.inner_text()
    for dato in (XSS, "Mora acumulada", "20.00 %", "S/ 500.00", "Predios morosos",
                 "Mora dic. 2024", "15.00 %", "Mora ene. 2025", "25.00 %"):
        assert dato in texto, dato
    assert contenido.locator("script").count() == 0
    p.wait_for_timeout(300)  # fin del fundido del popup
    p.screenshot(path=str(artefactos / MORA.replace(".html", "-popup.png")))
    assert pagina.errores == [], pagina.errores
    assert pagina.sin_red() == [], pagina.sin_red()
    assert pagina.dialogos == []


@pytest.mark.parametrize("nombre", ["arbitrios.html", "parques-jardines.html"])
def test_buscar_codigo_acerca_al_predio(pagina, carpeta, artefactos, nombre):
    p = pagina.abrir(carpeta / nombre).p
    # vista de todo el distrito alejada, como la vería alguien que recién abre un distrito real
    p.evaluate("catastro.mapa.setView(catastro.mapa.getCenter(), 15, {animate: false})")
    antes = p.evaluate("[catastro.mapa.getZoom(), catastro.mapa.getCenter()]")
    p.fill(".catastro-buscador input", CODIGO_B.lower())  # sin distinguir mayúsculas
    p.press(".catastro-buscador input", "Enter")
    p.wait_for_function("catastro.mapa.getZoom() >= 18", timeout=10_000)
    p.wait_for_timeout(400)  # fin de la animación
    despues = p.evaluate("[catastro.mapa.getZoom(), catastro.mapa.getCenter()]")
    assert despues[0] > antes[0] and despues[1] != antes[1]
    assert p.evaluate(f"catastro.mapa.getBounds().contains("
                      f"catastro.elementoDe('{CODIGO_B}').getBounds())")
    popup = p.locator(".leaflet-popup-content")
    assert CODIGO_B in popup.inner_text()
    p.screenshot(path=str(artefactos / nombre.replace(".html", "-busqueda.png")))
    # un código inexistente avisa y no mueve el mapa
    p.fill(".catastro-buscador input", "999999-99")
    p.press(".catastro-buscador input", "Enter")
    assert "No se encontró" in p.locator(".catastro-mensaje").inner_text()
    assert p.evaluate("catastro.mapa.getZoom()") == despues[0]
    assert pagina.errores == [] and pagina.sin_red() == []


def test_html_malicioso_se_muestra_como_texto(pagina, carpeta, artefactos):
    p = pagina.abrir(carpeta / "arbitrios.html").p
    assert p.evaluate("catastro.buscar('190301-01-001-002-A')")
    contenido = p.locator(".leaflet-popup-content")
    assert XSS in contenido.inner_text()  # la dirección, literal
    assert "Unidad 1 de 2 en propiedad horizontal" in contenido.inner_text()
    assert "S/ 1.55" in contenido.inner_text() and "Total anual" in contenido.inner_text()
    assert contenido.locator("script").count() == 0
    # el otro valor (cierra el <script> de datos) tampoco se ejecutó
    assert p.evaluate("window.__xss") is None
    assert p.evaluate("catastro.buscar('190301-01-001-003')")
    assert XSS_CIERRE in p.locator(".leaflet-popup-content").inner_text()
    p.evaluate(f"catastro.buscar('{CODIGO_PH}')")
    p.screenshot(path=str(artefactos / "arbitrios-popup.png"))
    assert pagina.dialogos == [] and pagina.errores == []


def test_clic_en_un_predio_abre_su_popup(pagina, carpeta):
    """El predio está dentro de la franja de 100 m (dibujada encima): el clic llega al predio."""
    p = pagina.abrir(carpeta / "parques-jardines.html").p
    codigo = "190301-01-001-001"
    x, y = p.evaluate(f"""(() => {{
        const pt = catastro.mapa.latLngToContainerPoint(
            catastro.elementoDe('{codigo}').getBounds().getCenter());
        const caja = catastro.mapa.getContainer().getBoundingClientRect();
        return [pt.x + caja.left, pt.y + caja.top];
    }})()""")
    p.mouse.move(x, y)
    p.wait_for_selector(".leaflet-tooltip")
    assert p.locator(".leaflet-tooltip").inner_text() == codigo
    p.mouse.click(x, y)
    contenido = p.locator(".leaflet-popup-content").inner_text()
    assert codigo in contenido and "Categoría de parques" in contenido
    assert pagina.errores == []


def test_sugerencias_del_buscador(pagina, carpeta):
    p = pagina.abrir(carpeta / "serenazgo.html").p
    p.fill(".catastro-buscador input", "190301-01-001-002")
    sugerencias = p.locator(".catastro-sugerencia")
    assert sugerencias.all_inner_texts() == [CODIGO_PH, "190301-01-001-002-B"]
    sugerencias.nth(1).click()
    assert "190301-01-001-002-B" in p.locator(".leaflet-popup-content").inner_text()


def test_indice_abre_y_enlaza_los_mapas(pagina, carpeta):
    p = pagina.abrir(carpeta / "index.html", esperar_mapa=False).p
    enlaces = p.eval_on_selector_all("li > a", "as => as.map(a => a.getAttribute('href'))")
    assert enlaces == PUBLICADOS
    p.click("text=Parques y jardines")
    p.wait_for_function("window.catastro !== undefined", timeout=30_000)
    assert p.url.endswith("parques-jardines.html")
    assert pagina.errores == [] and pagina.sin_red() == []
