## Публичные страницы e-CERT Hub, русский язык.
## Идентификаторы сообщений совпадают с locales/en/main.ftl; тесты крейта это проверяют.

-hub = e-CERT Hub

## Общий макет

site-name = { -hub }
site-tagline = Реестр сертификатов соответствия и протоколов испытаний
skip-to-content = Перейти к основному содержанию
lang-switch-label = Язык
footer-text = Публичная проверка не требует входа в систему и не показывает имена и контактные данные физических лиц.
page-render-failed = Не удалось показать эту страницу. Повторите попытку позже.

## Форма проверки

lookup-title = Проверка документа
lookup-heading = Проверка сертификата соответствия или протокола испытаний
lookup-intro = Введите идентификатор хаба, указанный на документе или рядом с его QR-кодом.
lookup-label = Идентификатор хаба
lookup-hint = Пример: UZ-CC-7Q3K-9XMP-H. Можно вводить заглавные и строчные буквы. Буквы I, L, O и U в идентификаторе не используются.
lookup-submit = Проверить
lookup-error-prefix = Ошибка:

## Документ не найден или идентификатор неверен

notfound-title = Документ не найден
notfound-heading = Документ не найден
notfound-entered = Вы ввели:
notfound-hint = Сверьте каждый символ с напечатанным документом. Идентификатор хаба состоит из кода страны, типа документа (CC или TR), случайной части и контрольного символа, например UZ-CC-7Q3K-9XMP-H.
notfound-retry = Проверить другой идентификатор

## Результат проверки

verify-title = Результат проверки
verify-heading = Результат проверки
verify-another = Проверить другой документ
field-hub-id = Идентификатор хаба

verdict-valid = Действителен
verdict-invalid = Недействителен
verdict-indeterminate = Не определено
verdict-valid-explanation = Все применимые проверки пройдены.
verdict-invalid-explanation = Как минимум одна проверка не пройдена. Не полагайтесь на этот документ.
verdict-indeterminate-explanation = Ни одна проверка не завершилась ошибкой, но как минимум одну выполнить не удалось. Повторите проверку позже или обратитесь в орган, выдавший документ.

trust-heading = Основание доверия
trust-none = Основание доверия не установлено, так как документ не удалось определить.
trust-issuer_signature = Электронная подпись выдавшего органа
trust-issuer_signature-explanation = Орган по подтверждению соответствия, выдавший документ, подписал его своим ключом электронной подписи, зарегистрированным в хабе.
trust-national_seal = Национальная печать
trust-national_seal-explanation = Национальный орган подписал документ своим ключом подписания документов от имени одного из своих органов по подтверждению соответствия.
trust-hub_attestation = Заверение хаба
trust-hub_attestation-explanation = Выдавший орган не подписал документ электронной подписью, поэтому хаб зафиксировал его содержание и хеш файла и заверил эту запись собственным ключом.

## Сведения о документе

document-heading = Документ
field-doc-type = Тип документа
field-national-number = Национальный номер документа
field-issuer = Выдан
field-product = Продукция
field-model = Модель
field-hs-codes = Коды ТН ВЭД / ГС
field-issued-at = Дата выдачи
field-valid-until = Действителен до
field-valid-until-none = Бессрочно
field-status = Статус в реестре
field-superseded-by = Заменён документом

doctype-CC = Сертификат соответствия
doctype-TR = Протокол испытаний

status-valid = Действует
status-suspended = Действие приостановлено
status-withdrawn = Действие прекращено
status-superseded = Заменён исправленным документом
status-expired = Срок действия истёк

country-AZ = Азербайджан
country-KG = Кыргызстан
country-PK = Пакистан
country-TJ = Таджикистан
country-UZ = Узбекистан

## Проверки

checks-heading = Проверки
checks-as-of = Статус и срок действия определены на { $as_of }.
checks-checked-at = Время проверки: { $checked_at }.
checks-count-passed = { $count ->
    [one] { $count } проверка пройдена
    [few] { $count } проверки пройдены
   *[many] { $count } проверок пройдено
}
checks-count-failed = { $count ->
    [one] { $count } проверка не пройдена
    [few] { $count } проверки не пройдены
   *[many] { $count } проверок не пройдено
}
checks-count-not_applicable = { $count ->
    [one] { $count } проверка неприменима
    [few] { $count } проверки неприменимы
   *[many] { $count } проверок неприменимо
}
checks-count-not_checked = { $count ->
    [one] { $count } проверка не выполнена
    [few] { $count } проверки не выполнены
   *[many] { $count } проверок не выполнено
}
check-detail-label = Подробности (на английском языке):

outcome-passed = Пройдена
outcome-failed = Не пройдена
outcome-not_applicable = Неприменима
outcome-not_checked = Не выполнена

check-label-format = Формат
check-label-key_known = Регистрация ключа подписи
check-label-signature = Электронная подпись
check-label-key_valid = Действительность ключа на момент регистрации
check-label-issuer_scope = Область аккредитации органа
check-label-status = Статус в реестре
check-label-validity_period = Срок действия
check-label-file_hash = Сверка файла
check-label-agreement_coverage = Действие соглашения
check-label-transparency_log = Журнал прозрачности

## Причины результатов проверок по проверке и коду причины. Коды, которые
## может вернуть любая проверка, записаны под именем проверки "any".

check-format-ok = Идентификатор хаба, подписанные данные и поля документа имеют правильный формат.
check-format-invalid_hub_id = Это неверный идентификатор хаба. Сверьте каждый символ с напечатанным документом.
check-format-malformed_jws = Подписанные данные не соответствуют формату компактной подписи JWS.
check-format-invalid_credential = Поля документа не соответствуют схеме данных хаба.
check-format-not_registered = Документ с таким идентификатором в реестре отсутствует.

check-key_known-ok = Ключ подписи зарегистрирован в хабе.
check-key_known-unknown_key = Ключ подписи не зарегистрирован в хабе. Само по себе это не означает, что подпись неверна.
check-key_known-no_kid = В заголовке подписи не указан ключ (kid).
check-key_known-hub_key = Запись заверена собственным ключом хаба.
check-key_known-hub_key_unknown = Ключ хаба, которым заверена запись, отсутствует среди опубликованных ключей хаба.

check-signature-ok = Электронная подпись верна для зарегистрированного ключа.
check-signature-bad_signature = Электронная подпись не соответствует содержанию документа. Документ мог быть изменён.
check-signature-unsupported_algorithm = Хаб не поддерживает этот алгоритм подписи.
check-signature-key_algorithm_mismatch = Алгоритм подписи отличается от алгоритма зарегистрированного ключа.
check-signature-attestation_ok = Подпись хаба под заверением верна.
check-signature-attestation_bad = Подпись хаба под заверением не соответствует записи.

check-key_valid-ok = На момент регистрации документа в хабе ключ действовал и не был отозван.
check-key_valid-revoked = На момент регистрации документа в хабе ключ уже был отозван как скомпрометированный.
check-key_valid-retired = На момент регистрации документа в хабе ключ уже был выведен из эксплуатации.
check-key_valid-expired = На момент регистрации документа в хабе срок действия ключа уже истёк.
check-key_valid-not_yet_valid = На момент регистрации документа в хабе срок действия ключа ещё не начался.
check-key_valid-wrong_purpose = Ключ зарегистрирован не для подписания документов.
check-key_valid-hub_key_ok = Ключ хаба действовал на момент регистрации документа.

check-issuer_scope-ok = На дату выдачи орган был аккредитован или уполномочен в отношении этой продукции.
check-issuer_scope-out_of_scope = Коды ТН ВЭД / ГС или стандарты продукции не входят в область аккредитации или полномочий органа.
check-issuer_scope-no_accreditation = На дату выдачи у органа не было действующей аккредитации или полномочий.
check-issuer_scope-issuer_unknown = Выдавший орган не зарегистрирован в хабе как орган по подтверждению соответствия.

check-status-valid = Согласно реестру документ действует.
check-status-suspended = Действие документа приостановлено.
check-status-withdrawn = Действие документа прекращено.
check-status-superseded = Документ заменён исправленным документом.
check-status-not_yet_registered = На запрошенную дату документ ещё не был зарегистрирован.
check-status-not_registered = Этот документ не зарегистрирован в хабе.
check-status-issuer_not_in_registry = Выдавший орган не публикует свои документы в этом хабе.

check-validity_period-ok = Запрошенная дата входит в срок действия документа.
check-validity_period-expired = Срок действия документа истёк до запрошенной даты.
check-validity_period-not_yet_valid = Срок действия документа начинается после запрошенной даты.

check-file_hash-original = Файл совпадает с зарегистрированным оригиналом (SHA-256).
check-file_hash-stamped = Файл совпадает с копией, на которую хаб нанёс идентификатор и QR-код (SHA-256).
check-file_hash-mismatch = Файл не совпадает ни с зарегистрированным оригиналом, ни с копией, на которую хаб нанёс идентификатор.
check-file_hash-not_given = Файл не представлен, поэтому сверка файла не выполнялась.

check-agreement_coverage-not_given = Страна, выполняющая проверку, не указана.
check-agreement_coverage-not_built = Хаб пока не ведёт учёт соглашений между странами.

check-transparency_log-not_built = Хаб пока не ведёт журнал прозрачности.

check-any-not_run = Эта проверка не выполнялась.
check-any-earlier_failed = Эта проверка не выполнена, так как не пройдена одна из предыдущих проверок.
