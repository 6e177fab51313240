## Портал e-CERT Hub, русский язык.
## Идентификаторы сообщений совпадают с locales/en/portal.ftl; тесты крейта это проверяют.

## Общий макет

portal-name = Портал { -hub }
portal-nav-label = Разделы портала
portal-logout = Выйти
portal-footer = Портал хаба сертификатов соответствия и протоколов испытаний.
portal-public-lookup = Публичная страница проверки
nav-home = Главная
nav-documents = Мои документы
nav-registry = Документы
nav-verify = Проверка
nav-organisations = Организации
nav-events = Журнал событий
nav-countries = Страны
nav-account = Учётная запись
pager-first = Первая страница
pager-next = Следующая страница

## Вход

login-title = Вход
login-heading = Вход в портал
login-intro = Для сотрудников органов по стандартизации, органов по подтверждению соответствия и таможни. Любой может проверить документ на публичной странице проверки без входа в портал.
login-username = Имя пользователя
login-password = Пароль
login-submit = Войти
login-help = Учётную запись создаёт национальный администратор. Он же может сбросить пароль.
login-wrong = Неверное имя пользователя или пароль.
login-wait = { $seconds ->
    [one] Слишком много неверных паролей. Подождите { $seconds } секунду и попробуйте снова.
    [few] Слишком много неверных паролей. Подождите { $seconds } секунды и попробуйте снова.
   *[many] Слишком много неверных паролей. Подождите { $seconds } секунд и попробуйте снова.
}
login-form-expired = Форма входа устарела. Введите имя пользователя и пароль ещё раз.
login-logged-out = Вы вышли из портала.
login-password-changed = Пароль изменён. Войдите с новым паролем.

## Учётная запись

account-title = Учётная запись
account-heading = Ваша учётная запись
account-username = Имя пользователя
account-organisation = Организация
account-roles = Роли
account-password-heading = Смена пароля
account-current = Текущий пароль
account-new = Новый пароль
account-new-hint = Не менее 12 символов. Фразу из нескольких слов легко запомнить и трудно подобрать.
account-repeat = Повторите новый пароль
account-change = Сменить пароль
account-current-wrong = Неверный текущий пароль.
account-password-short = Новый пароль должен содержать не менее 12 символов.
account-password-mismatch = Новые пароли не совпадают.

## Роли, виды и статусы

role-hub_operator = Оператор хаба
role-national_admin = Национальный администратор
role-cab_issuer = Сотрудник ОПС (выдача документов)
role-customs_officer = Сотрудник таможни
role-viewer = Наблюдатель (только просмотр)
orgkind-hub_operator = Оператор хаба
orgkind-standards_body = Национальный орган по стандартизации
orgkind-regulator = Регулирующий орган
orgkind-customs = Таможенная служба
orgkind-single_window = Единое окно
orgkind-accreditation_body = Орган по аккредитации
orgkind-certification_body = Орган по сертификации (ISO/IEC 17065)
orgkind-testing_laboratory = Испытательная лаборатория (ISO/IEC 17025)
keypurpose-document_signing = Подписание документов
keypurpose-api = API
keypurpose-trust_list = Список доверия
keystatus-active = Действует
keystatus-retired = Выведен из эксплуатации
keystatus-revoked = Отозван (скомпрометирован)
accstatus-active = Действует
accstatus-suspended = Приостановлена
accstatus-withdrawn = Прекращена
track-A = A: национальная система через API
track-B = B: API и портал
track-C = C: только портал
datapolicy-full = Полные документы
datapolicy-metadata_only = Только метаданные
action-suspend = Приостановить
action-reinstate = Возобновить
action-withdraw = Прекратить действие
action-supersede = Заменить переоформленным документом

## Главная

home-title = Главная
home-heading = Здравствуйте, { $name }
home-roles = Ваши роли:
home-register = Зарегистрировать документ
home-register-text = Внесите сведения о сертификате соответствия или протоколе испытаний и приложите PDF документа.
home-documents = Мои документы
home-documents-text = Поиск своих документов, смена их статуса и история изменений.
home-verify = Проверить документ
home-verify-text = По идентификатору хаба, по PDF или по фотографии QR-кода.
home-organisations = Организации
home-organisations-text = Организации и ОПС, аккредитации, ключи, пользователи и токены API.
home-events = Журнал событий
home-events-text = Все изменения данных вашей страны по порядку.
home-countries = Страны
home-countries-text = Страны-участницы, их треки участия и политика данных.

## Формы

form-errors-heading = Исправьте ошибки
form-error-required = Заполните это поле.
form-error-choose = Выберите один из вариантов.
form-error-date = Введите дату, например 2026-05-01.
form-error-country = Введите двухбуквенный код страны, например UZ.
form-error-product-name = Введите наименование продукции на русском или английском.
form-error-until-before-issue = Окончание срока действия раньше даты выдачи.
form-error-hs-format = «{ $detail }» — не код ТН ВЭД / ГС: укажите шесть цифр, например 847130, и при необходимости через пробел национальный код.
form-error-hs-unknown = Кода ГС { $detail } нет в загруженной номенклатуре. Найдите код через поиск кодов ГС.
form-error-hs-prefix = Укажите от 2 до 10 цифр кода ГС.
form-error-hub-id = Введите идентификаторы хаба, например UZ-CC-7Q3K-9XMP-H.
form-error-tr-references = На протоколы испытаний ссылается только сертификат; для протокола оставьте это поле пустым.
form-error-not-tr = { $hub_id } — не протокол испытаний: в идентификаторе хаба протокола вторая часть — TR, например KG-TR-3QD1-MM6V-8.
form-error-pdf-required = Приложите PDF документа: хаб заверяет его и наносит на него идентификатор хаба.
form-error-not-pdf = Этот файл не является PDF.
form-error-upload = Не удалось прочитать отправленные данные. Проверьте размер файла и повторите попытку.
form-error-jwk = Вставьте открытый ключ в формате JSON (JWK), например {"{"} "kty": "OKP", "crv": "Ed25519", "x": "…" {"}"}.
form-error-field = Проверьте это поле. Сообщение хаба: { $detail }

## Ошибки действий

message-title = Не выполнено
message-heading = Действие не выполнено
message-back = На главную
error-general = Хаб отклонил действие: { $detail }
error-internal = На стороне хаба произошла ошибка. Повторите попытку позже. Если ошибка повторится, сообщите оператору хаба.
error-csrf = Форма устарела или отправлена с другого сайта. Откройте страницу заново и повторите действие.
error-forbidden = Ваши роли не дают права на это действие. { $detail }
error-not_found = Не найдено: { $detail }
error-conflict = За это время данные изменил кто-то другой: { $detail }
error-track_c_portal_only = Документы этой страны вносятся только через портал.
error-invalid_transition = Такая смена статуса невозможна: { $detail }
error-unknown_issuer = Выдавший документ орган не зарегистрирован в хабе: { $detail }
error-out_of_scope = Документ выходит за область аккредитации выдавшего органа: { $detail }
error-user_exists = Это имя пользователя уже занято.
error-own_account = Нельзя отключить собственную учётную запись.
error-pdf_not_stampable = Не удалось нанести отметку на PDF: { $detail }
error-file_registered_by_other_issuer = Этот PDF уже зарегистрирован другим органом.
error-key_not_valid = Ключ подписи сейчас не действует: { $detail }
error-unknown_key = Ключ подписи не зарегистрирован: { $detail }
error-registered_with_other_file = Такие же данные уже зарегистрированы с другим файлом ({ $detail }). Чтобы исправить документ, зарегистрируйте переоформленный документ, который его заменяет.
error-invalid_hub_id = Это неверный идентификатор хаба: { $detail }

## Документы

documents-title = Документы
documents-heading = Документы
documents-register = Зарегистрировать документ
documents-search = Поиск
documents-search-submit = Найти
documents-any = Все
documents-hs-prefix = Код ГС или его начало
documents-hs-prefix-hint = От 2 до 10 цифр, например 8471.
documents-caption = Документы, сначала новые
documents-none = Документы не найдены.

## Форма регистрации

new-title = Регистрация документа
new-heading = Регистрация сертификата или протокола испытаний
new-intro = Поля, отмеченные *, обязательны. Хаб сохраняет PDF, записывает его SHA-256, подписывает заверение и возвращает PDF с идентификатором хаба и QR-кодом на первой странице.
new-section-document = Документ
new-section-applicant = Заявитель (держатель)
new-section-manufacturer = Изготовитель
new-section-product = Продукция
new-section-conformity = Соответствие
new-section-file = Файл
new-issuer = Выдавший орган
new-issuer-hint = Орган по подтверждению соответствия, выдавший документ.
new-national-number-hint = Номер документа в национальном реестре.
new-valid-until-hint = Оставьте пустым, если срок действия не ограничен.
new-supersedes = Заменяет документ
new-supersedes-hint = Для переоформленного документа: идентификатор хаба заменяемого документа.
new-party-name = Наименование
new-party-id = Регистрационный номер
new-party-id-hint = Налоговый или регистрационный номер организации, если есть.
new-party-country = Страна
new-country-hint = Двухбуквенный код, например UZ.
new-product-name-ru = Наименование продукции на русском
new-product-name-en = Наименование продукции на английском
new-product-name-hint = Заполните хотя бы одно из двух наименований.
new-hs-edition = Редакция ГС
new-hs-codes-hint = По одному коду в строке: шесть цифр и при необходимости через пробел национальный код, например 847130 8471300000.
new-hs-lookup = Поиск кодов ГС (откроется в новой вкладке)
new-standards = Стандарты
new-regulations = Технические регламенты
new-list-hint = По одному в строке.
new-test-reports = Протоколы испытаний
new-test-reports-hint = Идентификаторы хаба протоколов испытаний, на которых основан сертификат, по одному в строке.
new-test-results = Результаты испытаний
new-conformance = Продукция соответствует требованиям
new-pdf = PDF документа
new-pdf-hint = Подписанный и скреплённый печатью PDF документа, не более { $count } МБ.
new-submit = Зарегистрировать
new-signed-heading = Регистрация документа, подписанного собственным ключом
new-signed-intro = Если у вашего ОПС есть ключ подписи, зарегистрированный в хабе, загрузите подписанный документ (компактный JWS, который создаёт «ecert-hub sign») и, если нужно, его PDF.
new-jws-file = Подписанный документ (JWS)
new-jws-hint = Текстовый файл в формате заголовок.данные.подпись.
new-signed-submit = Зарегистрировать подписанный документ

## Документ

document-registered-new = Документ зарегистрирован.
document-registered-again = Этот документ уже был зарегистрирован. Ниже — его запись.
document-status-changed = Статус изменён.
document-stamp-failed = Хабу не удалось нанести отметку на этот PDF. Вместо этого распечатайте этикетку с QR-кодом и приложите её к бумажному экземпляру.
document-applicant = Заявитель
document-manufacturer = Изготовитель
document-conformance = Соответствие
document-conformance-yes = Продукция соответствует требованиям
document-conformance-no = Продукция не соответствует требованиям
document-registered-at = Зарегистрирован в хабе
document-file-hash = SHA-256 файла PDF
document-stamped-hash = SHA-256 PDF с отметкой хаба
document-files-heading = Файлы и QR-код
document-download-stamped = Скачать PDF с идентификатором хаба и QR-кодом
document-download-original = Скачать исходный PDF
document-label = Этикетка с QR-кодом для печати
document-public-page = Публичная страница проверки
document-history-heading = История статуса
document-history-none = Статус не менялся с момента регистрации.
document-status-heading = Смена статуса
document-reason-hint = Причина смены статуса. Другие страны её не видят.
document-effective-hint = Оставьте пустым, чтобы изменение вступило в силу сейчас. Можно указать прошедшую дату, но не будущую.
document-status-submit = Изменить статус
history-effective = Дата вступления в силу
history-action = Действие
history-change = Изменение
history-reason = Причина
history-reason-hidden = Видна только стране, выдавшей документ
history-recorded = Записано

## Этикетка с QR-кодом

label-title = Этикетка с QR-кодом
label-heading = Этикетка с QR-кодом для печати
label-intro = Распечатайте страницу и приложите этикетку к бумажному экземпляру документа.
label-qr-alt = QR-код страницы проверки документа { $hub_id }
label-scan = Отсканируйте код, чтобы проверить документ в e-CERT Hub.
label-back = Назад к документу

## Поиск кодов ГС

hs-title = Коды ГС
hs-heading = Поиск в номенклатуре Гармонизированной системы
hs-catalog = { $count ->
    [one] Номенклатура { $name }: { $count } запись.
    [few] Номенклатура { $name }: { $count } записи.
   *[many] Номенклатура { $name }: { $count } записей.
}
hs-query = Код или слова
hs-query-hint = Цифры ищутся по коду, например 8471, а слова — по описанию на английском, например «laptop».
hs-submit = Найти
hs-code = Код
hs-description = Описание (на английском)
hs-six-digits = В документах указываются шестизначные коды.
hs-none = Ничего не найдено.
hs-no-catalog = Номенклатура ГС ещё не загружена. Оператор хаба загружает её командой «ecert-hub hs import». До тех пор хаб проверяет только, что в коде шесть цифр.

## Проверка

pverify-title = Проверка документа
pverify-heading = Проверка сертификата или протокола испытаний
pverify-by-id = По идентификатору хаба
pverify-by-photo = По фотографии QR-кода
pverify-photo = Фотография QR-кода
pverify-photo-hint = Фотография в формате PNG или JPEG, на которой QR-код чёткий и виден целиком.
pverify-photo-submit = Прочитать код и проверить
pverify-by-pdf = По PDF документа
pverify-pdf = PDF документа
pverify-pdf-hint = Исходный файл или копия с отметкой хаба. Хаб сверяет его SHA-256 с реестром.
pverify-pdf-submit = Проверить PDF
pverify-decoded = В QR-коде на фотографии записано:
pverify-did-you-mean = Возможно, вы имели в виду:
pverify-again = Проверить другой документ
verify-photo-unreadable = На этой фотографии не удалось прочитать QR-код. Сфотографируйте код ближе, прямо и чётче.
verify-photo-foreign = QR-код на фотографии не ведёт к документу этого хаба.
verify-nothing-uploaded = Сначала выберите файл.

## Администрирование

orgs-title = Организации
orgs-heading = Организации
orgs-filter-country = Страна
orgs-name = Наименование
orgs-kind = Вид
orgs-number = Регистрационный номер
orgs-number-hint = Буквы, цифры, «-», «.», «/» или «_», как в национальном реестре.
orgs-country = Страна
orgs-none = Организаций пока нет.
orgs-new-heading = Добавить организацию
orgs-create = Добавить организацию
org-created = Организация добавлена.
org-urn = Идентификатор органа
org-back = Все организации
org-back-to = Назад: { $org }
org-state = Состояние
org-none = Пока нет.
org-accreditations = Аккредитации и полномочия
org-keys = Ключи подписи
org-users = Пользователи портала
org-tokens = Токены API
acc-designation = Полномочия по закону
acc-standard = Стандарт
acc-body = Орган по аккредитации или правовой акт
acc-body-hint = Для полномочий по закону — правовой акт, которым орган уполномочен.
acc-scope = Область
acc-scope-any = Без ограничений
acc-period = Срок действия
acc-change = Изменить
acc-new-status = Новый статус
acc-add = Добавить аккредитацию
acc-ilac = Орган по аккредитации подписал соглашение ILAC/IAF
acc-designated-types = Виды документов по полномочиям
acc-hs-prefixes = Область: коды ГС
acc-hs-prefixes-hint = Начальные цифры кодов ГС через запятую, например 84, 8516. Пустое поле — без ограничений.
acc-standards = Область: стандарты
acc-standards-hint = Через запятую. Пустое поле — без ограничений.
acc-valid-from = Действует с
key-kid = Идентификатор ключа
key-algorithm = Алгоритм
key-purpose = Назначение
key-effective = С даты
key-add = Зарегистрировать открытый ключ
key-jwk = Открытый ключ (JWK)
key-jwk-hint = Открытый ключ в виде JSON, как его выводит «ecert-hub keygen». Никогда не вставляйте закрытый ключ.
user-display-name = Полное имя
user-password = Первоначальный пароль
user-username-hint = От 3 до 64 символов: буквы, цифры, «.», «-», «_» или «@».
user-new-password = Новый пароль
user-set-password = Задать пароль
user-add = Добавить пользователя
user-enabled = Активен
user-disabled = Отключён
user-enable = Включить
user-disable = Отключить
token-label = Описание
token-label-hint = Для чего токен, например «национальная система, рабочая».
token-created = Выпущен
token-active = Действует
token-revoked = Отозван { $date }
token-revoke = Отозвать
token-add = Выпустить токен
token-created-title = Токен выпущен
token-created-heading = Токен API выпущен
token-created-intro = Токен «{ $name }» для { $org }:
token-created-once = Скопируйте токен сейчас: хаб хранит только его хеш и показать токен повторно не сможет.
done-accreditation = Аккредитация записана.
done-accreditation-status = Статус аккредитации изменён.
done-key = Ключ зарегистрирован.
done-key-status = Статус ключа изменён.
done-user = Пользователь добавлен.
done-user-status = Данные пользователя обновлены.
done-user-password = Пароль задан, сессии пользователя завершены.
done-token-revoked = Токен отозван.

## Журнал событий

events-title = Журнал событий
events-heading = Журнал событий
events-intro = Все изменения по порядку. События содержат только идентификаторы и хеши, без имён и причин.
events-seq = №
events-kind = Событие
events-subject = Объект
events-none = Событий нет.
event-country-upserted = Страна сохранена
event-organisation-created = Организация добавлена
event-accreditation-added = Аккредитация записана
event-accreditation-status-changed = Статус аккредитации изменён
event-key-registered = Ключ зарегистрирован
event-key-status-changed = Статус ключа изменён
event-token-created = Токен API выпущен
event-token-revoked = Токен API отозван
event-user-created = Пользователь добавлен
event-document-registered = Документ зарегистрирован
event-document-status-changed = Статус документа изменён
event-document-file-stamped = На PDF нанесена отметка
event-user-logged-in = Вход в портал
event-user-logged-out = Выход из портала
event-user-login-failed = Неверный пароль
event-user-disabled = Пользователь отключён
event-user-enabled = Пользователь включён
event-user-password-changed = Пароль изменён
event-hs-catalog-imported = Номенклатура ГС загружена

## Страны

countries-title = Страны
countries-heading = Страны-участницы
countries-code = Код
countries-track = Трек участия
countries-policy = Политика данных
countries-edit = Добавить или изменить страну
countries-edit-intro = Если страна с таким кодом уже есть, сохранение изменит её данные.
countries-save = Сохранить страну
countries-saved = Страна сохранена.
