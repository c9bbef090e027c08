"""El esquema de capas: el único lugar que lo define.

``capas/README.md`` lo documenta para las personas; la validación, la importación y el
generador del distrito de ejemplo lo leen de aquí.

Tipos de columna: ``"texto"``, ``"entero"``, ``"real"``. Geometrías: ``"poligono"``
(Polygon o MultiPolygon) y ``"linea"`` (LineString o MultiLineString).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Columna:
    nombre: str
    tipo: str  # "texto" | "entero" | "real"
    obligatoria: bool
    descripcion: str
    personal: bool = False  # dato personal: nunca en mapas ni informes publicados


@dataclass(frozen=True)
class Capa:
    nombre: str
    geometria: str  # "poligono" | "linea"
    obligatoria: bool
    descripcion: str
    columnas: tuple[Columna, ...]
    clave: str | None = None  # columna que identifica a cada elemento en los mensajes

    def columna(self, nombre: str) -> Columna | None:
        return next((c for c in self.columnas if c.nombre == nombre), None)

    @property
    def nombres(self) -> list[str]:
        return [c.nombre for c in self.columnas]


# Codificador de usos del Sistema Nacional de Catastro (SNC), tal como lo transcribe la
# ordenanza: diez códigos generales. El subuso (Unifamiliar, Tienda, Educativo, …) es texto libre.
USOS: dict[int, str] = {
    1: "Residencial",
    2: "Comercial",
    3: "Industria",
    4: "Recreacional",
    5: "Equipamiento urbano",
    6: "Institucional",
    7: "Terreno",
    8: "Desocupado",
    9: "Garage",
    10: "Bienes comunes",
}

# Clases de inafectación / exoneración (Art. 7 y 8). Qué porcentaje corresponde a cada una y
# por servicio lo dice el archivo de la ordenanza, no el código.
CONDICIONES: dict[str, str] = {
    "municipalidad": "Municipalidad (inafecta)",
    "bomberos": "Cuerpo General de Bomberos Voluntarios del Perú (inafecto)",
    "iglesia_catolica": "Iglesia Católica (inafecta)",
    "educacion_estatal": "Universidades, institutos y centros educativos estatales",
    "educacion_privada": "Universidades, institutos y centros educativos privados",
    "salud_estatal": "Predios de salud pública del Estado",
    "pnp": "Policía Nacional del Perú / Fuerzas Armadas",
}

TIPOS_VIA = ("avenida", "jiron", "calle", "pasaje", "prolongacion", "malecon", "paseo",
             "carretera", "otro")
TIPOS_AREA_VERDE = ("parque", "area_verde", "monumento", "malecon", "berma_central", "jardin")
ZONAS_RECOLECCION = ("A", "B")

_T, _E, _R = "texto", "entero", "real"

CAPAS: dict[str, Capa] = {
    c.nombre: c
    for c in (
        Capa(
            "predios", "poligono", True,
            "Predios (unidades catastrales). Las unidades en propiedad horizontal repiten la "
            "huella del predio matriz y comparten su código en predio_matriz.",
            (
                Columna("codigo", _T, True, "Código catastral, único"),
                Columna("uso", _E, True, "Código general de uso SNC, 1 a 10"),
                Columna("subuso", _T, False, "Subcódigo SNC (Unifamiliar, Tienda, Educativo…)"),
                Columna("area_terreno_m2", _R, True, "Área de terreno, m²"),
                Columna("area_construida_m2", _R, True, "Área construida, m² (0 si no hay)"),
                Columna("habitantes", _E, False, "Habitantes declarados (casa habitación)"),
                Columna("condicion", _T, False,
                        "Clase de inafectación/exoneración (municipalidad, bomberos, "
                        "iglesia_catolica, educacion_estatal, educacion_privada, "
                        "salud_estatal, pnp) o vacío"),
                Columna("predio_matriz", _T, False,
                        "Código del predio matriz si es unidad en propiedad horizontal"),
                Columna("participacion", _R, False,
                        "Participación de la unidad en el predio matriz, fracción 0–1"),
                Columna("frontis_declarado_m", _R, False, "Frontis declarado en la HAD, m"),
                Columna("direccion", _T, False, "Dirección (Jr. Grau 245)"),
                Columna("contribuyente", _T, False, "Nombre del contribuyente", personal=True),
                Columna("documento", _T, False, "DNI/RUC del contribuyente", personal=True),
                Columna("barrio", _T, False, "Barrio declarado"),
            ),
            clave="codigo",
        ),
        Capa(
            "vias", "linea", True,
            "Ejes de vías públicas, idealmente un elemento por cuadra.",
            (
                Columna("nombre", _T, True, "Nombre de la vía (Jr. Gustavson)"),
                Columna("tipo", _T, False, "avenida, jiron, calle, pasaje, prolongacion, "
                        "malecon, paseo, carretera u otro"),
                Columna("cuadra", _E, False, "Número de cuadra"),
                Columna("ancho_m", _R, False, "Ancho de la vía entre linderos, m"),
            ),
            clave="nombre",
        ),
        Capa(
            "sectores_barrido", "poligono", True,
            "Sectores de barrido (micro-rutas) con su frecuencia semanal.",
            (
                Columna("sector", _T, True, "Sector de barrido (1, 2, 3, 4…)"),
                Columna("frecuencia_semanal", _E, True, "Días de barrido por semana, 1 a 7"),
            ),
            clave="sector",
        ),
        Capa(
            "zonas_recoleccion", "poligono", True,
            "Zonas de recolección de residuos sólidos (A, B).",
            (Columna("zona", _T, True, "Zona de recolección: A o B"),),
            clave="zona",
        ),
        Capa(
            "sectores_recoleccion", "poligono", False,
            "Sectores de recolección: I–VIII de la zona A, centros poblados de la zona B.",
            (
                Columna("sector", _T, True, "Sector (I…VIII o nombre del centro poblado)"),
                Columna("zona", _T, True, "Zona a la que pertenece: A o B"),
            ),
            clave="sector",
        ),
        Capa(
            "areas_verdes", "poligono", True,
            "Parques, áreas verdes, monumentos, malecones y bermas centrales mantenidos.",
            (
                Columna("nombre", _T, True, "Nombre (Plaza Mayor)"),
                Columna("tipo", _T, True, "parque, area_verde, monumento, malecon, "
                        "berma_central o jardin"),
                Columna("area_mantenimiento_m2", _R, False, "Área que se mantiene, m²"),
            ),
            clave="nombre",
        ),
        Capa("distrito", "poligono", True, "Límite del distrito.",
             (Columna("nombre", _T, True, "Nombre del distrito"),), clave="nombre"),
        Capa("zona_urbana", "poligono", True,
             "Zona urbana (separa las categorías de parques C y D).",
             (Columna("nombre", _T, False, "Nombre"),), clave="nombre"),
        Capa("zonas_serenazgo", "poligono", True, "Zonas de serenazgo.",
             (
                 Columna("zona", _T, True, "Nombre o número de la zona"),
                 Columna("indice_peligrosidad", _R, False, "Índice de peligrosidad (1 = base)"),
             ),
             clave="zona"),
        Capa("barrios", "poligono", False, "Barrios (para la morosidad por barrio).",
             (Columna("barrio", _T, True, "Nombre del barrio"),), clave="barrio"),
    )
}

# Columnas que nunca salen en productos publicados salvo pedido expreso.
COLUMNAS_PERSONALES: frozenset[str] = frozenset(
    c.nombre for capa in CAPAS.values() for c in capa.columnas if c.personal
)


def exigir_sin_personales(columnas, donde: str) -> None:
    """Antes de publicar (mapas, tablas): ninguna columna personal. Si aparece una, es un
    defecto del programa y se detiene (no un ``assert``, que ``python -O`` quitaría)."""
    personales = sorted(set(columnas) & COLUMNAS_PERSONALES)
    if personales:
        raise RuntimeError(f"{donde} iba a publicar datos personales ({', '.join(personales)}); "
                           "se detuvo sin escribir nada.")
